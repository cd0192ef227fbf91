using System.Net.Http.Json;
using System.Net.Mail;

namespace Gateway.Service.Notifications;

/// <summary>A notification could not be delivered this time; it stays queued and is retried.</summary>
public sealed class NotificationDeliveryException : Exception
{
    public NotificationDeliveryException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>Delivers one notice. Throws <see cref="NotificationDeliveryException"/> on failure; never retries itself (the dispatcher does).</summary>
public interface INotificationSender
{
    Task SendAsync(Notification notification, CancellationToken cancellationToken);
}

/// <summary>E-mail through an SMTP relay (System.Net.Mail), with the notice's Message-ID header on every attempt.</summary>
public sealed class SmtpNotificationSender : INotificationSender
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly SmtpOptions _options;

    public SmtpNotificationSender(SmtpOptions options)
    {
        _options = options;
    }

    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        using var message = new MailMessage
        {
            From = new MailAddress(_options.From),
            Subject = notification.Subject,
            Body = notification.Body,
            BodyEncoding = System.Text.Encoding.UTF8,
            SubjectEncoding = System.Text.Encoding.UTF8,
        };
        foreach (var to in notification.Recipients)
        {
            message.To.Add(to);
        }

        message.Headers.Add("Message-ID", notification.MessageId);
        using var client = new SmtpClient(_options.Host, _options.Port)
        {
            EnableSsl = _options.StartTls,
            DeliveryMethod = SmtpDeliveryMethod.Network,
            Timeout = (int)Timeout.TotalMilliseconds,
        };
        if (_options.UserName is not null)
        {
            client.Credentials = new System.Net.NetworkCredential(_options.UserName, _options.Password?.Reveal());
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await client.SendMailAsync(message, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NotificationDeliveryException($"the SMTP relay {_options.Host}:{_options.Port} did not answer within {Timeout.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is SmtpException or IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            throw new NotificationDeliveryException($"the SMTP relay {_options.Host}:{_options.Port} refused or failed: {ex.Message}", ex);
        }
    }
}

/// <summary>
/// HTTP POST of the notice as JSON to a URL; any 2xx is delivery. The message id is in the body and in
/// the <c>Idempotency-Key</c> header, the same on every attempt, so the receiver can drop repeats.
/// Errors name the URL without its query string and user info (<see cref="SecretUrl"/>): they are kept in
/// the outbox and logged.
/// </summary>
public sealed class WebhookNotificationSender : INotificationSender
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly Uri _url;
    private readonly string _shown;
    private readonly HttpClient _http;

    public WebhookNotificationSender(Uri url, HttpClient http)
    {
        _url = url;
        _shown = SecretUrl.Redact(url);
        _http = http;
    }

    public async Task SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _url)
        {
            Content = JsonContent.Create(new
            {
                messageId = notification.MessageId,
                kind = notification.Kind,
                recipients = notification.Recipients,
                subject = notification.Subject,
                body = notification.Body,
                createdUtc = notification.CreatedUtc,
            }),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", notification.MessageId);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new NotificationDeliveryException($"the webhook {_shown} answered {(int)response.StatusCode}");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NotificationDeliveryException($"the webhook {_shown} did not answer within {Timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex)
        {
            // The inner exception is not kept: its message or stack data could carry the full URL.
            throw new NotificationDeliveryException($"the webhook {_shown} could not be reached: {SecretUrl.Scrub(ex.Message, _url)}");
        }
    }
}
