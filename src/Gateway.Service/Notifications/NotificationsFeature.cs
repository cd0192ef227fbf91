namespace Gateway.Service.Notifications;

/// <summary>
/// Notifications by mail or webhook (<c>Gateway:Notifications:*</c>): the outbox, the sender the transport
/// names and the dispatcher that drains the outbox. Its endpoints are the operators' (<c>/api/notifications</c>).
/// The composition root (<c>GatewayComposition</c>) calls <see cref="AddNotifications"/>; nothing else registers this feature.
/// </summary>
public static class NotificationsFeature
{
    public static IServiceCollection AddNotifications(this IServiceCollection services, NotificationOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<NotificationOutbox>();
        // No request logging on the notifications client: a webhook URL's query string may hold its key.
        services.AddHttpClient("notifications").RemoveAllLoggers();
        services.AddSingleton<INotificationSender>(sp => options.Transport switch
        {
            NotificationTransport.Smtp => new SmtpNotificationSender(options.Smtp!),
            NotificationTransport.Webhook => new WebhookNotificationSender(options.WebhookUrl!, sp.GetRequiredService<IHttpClientFactory>().CreateClient("notifications")),
            _ => new QueueOnlySender(),
        });
        services.AddSingleton<NotificationDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
        return services;
    }

    /// <summary>The sender when no transport is configured: it never succeeds, so notices wait (never dropped).</summary>
    private sealed class QueueOnlySender : INotificationSender
    {
        public Task SendAsync(Notification notification, CancellationToken cancellationToken) =>
            throw new NotificationDeliveryException("no transport configured (Gateway:Notifications:Transport is none)");
    }
}
