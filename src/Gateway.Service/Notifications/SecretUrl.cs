namespace Gateway.Service.Notifications;

/// <summary>
/// A URL as it may be shown: a webhook's query string often carries its key (<c>?key=…</c>, <c>?token=…</c>)
/// and its user info a password, so both are hidden wherever the URL is written — logs, error text kept
/// in the outbox (and so in <c>GET /api/notifications</c> and in backups), configuration errors.
/// </summary>
public static class SecretUrl
{
    public const string Hidden = "[hidden]";

    /// <summary><c>https://hooks.example/notify?[hidden]</c> for <c>https://user:pw@hooks.example/notify?key=abc</c>.</summary>
    public static string Redact(Uri url) => Redact(url.OriginalString);

    /// <summary>The same for text, which need not parse as a URL (a configuration value being refused).</summary>
    public static string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        // Worked on the text rather than System.Uri: Uri keeps an ftp:// URL's "?…" in its path, for one.
        var cut = text.IndexOfAny(['?', '#']);
        var shown = cut < 0 ? text : text[..cut];
        var authority = shown.IndexOf("://", StringComparison.Ordinal) is var scheme and >= 0 ? scheme + 3 : 0;
        var pathStart = shown.IndexOf('/', authority) is var slash and >= 0 ? slash : shown.Length;
        var at = shown.LastIndexOf('@', pathStart - 1, pathStart - authority);
        if (at >= authority)
        {
            shown = shown[..authority] + shown[(at + 1)..];
        }

        return cut >= 0 && cut < text.Length - 1 ? shown + "?" + Hidden : shown;
    }

    /// <summary>Removes <paramref name="url"/>'s query string and user info from <paramref name="text"/> (an exception's message).</summary>
    public static string Scrub(string text, Uri url)
    {
        foreach (var secret in new[] { url.OriginalString, url.AbsoluteUri, url.Query.TrimStart('?'), url.UserInfo })
        {
            if (secret.Length > 0)
            {
                text = text.Replace(secret, secret == url.OriginalString || secret == url.AbsoluteUri ? Redact(url) : Hidden, StringComparison.Ordinal);
            }
        }

        return text;
    }
}
