using Gateway.Service.Site;

namespace Gateway.Service.Notifications;

/// <summary>How rotation notifications leave the site.</summary>
public enum NotificationTransport
{
    /// <summary>Queued only: nothing is sent, nothing is dropped (the queue waits for a transport).</summary>
    None,

    /// <summary>E-mail through an SMTP relay.</summary>
    Smtp,

    /// <summary>HTTP POST of a JSON document to a URL.</summary>
    Webhook,
}

/// <summary>SMTP relay settings (<c>Gateway:Notifications:Smtp:*</c>).</summary>
public sealed record SmtpOptions(string Host, int Port, string From, bool StartTls, string? UserName, Secret? Password);

/// <summary>
/// Where rotation notices go and how (<c>Gateway:Notifications:*</c>). Delivery is at-least-once:
/// a failed attempt is retried after a delay that doubles from <see cref="RetryMin"/> up to <see cref="RetryMax"/>, forever.
/// </summary>
public sealed record NotificationOptions(
    NotificationTransport Transport,
    IReadOnlyList<string> Recipients,
    SmtpOptions? Smtp,
    Uri? WebhookUrl,
    TimeSpan RetryMin,
    TimeSpan RetryMax,
    TimeSpan PollInterval)
{
    public static NotificationOptions Default { get; } = new(NotificationTransport.None, [], null, null, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(15), TimeSpan.FromSeconds(2));
}
