using System.Globalization;
using System.Net.Mail;
using Gateway.Service.Hosting;
using Gateway.Service.Notifications;
using Gateway.Service.Site;

namespace Gateway.Service.Operators;

/// <summary>
/// Operators, passwords, tokens and the audit key (<c>Gateway:AuditKeyFile</c>, <c>Gateway:Operators:*</c>,
/// <c>Gateway:Notifications:*</c>), read and validated with the rest of <see cref="GatewayOptions"/>.
/// </summary>
public sealed record SecurityOptions(
    string AuditKeyFile,
    int PasswordIterations,
    int PasswordLifetimeMonths,
    TimeSpan TokenLifetime,
    int MaxFailedLogins,
    TimeSpan Lockout,
    NotificationOptions Notifications)
{
    /// <summary>Failed logins from one remote address within <see cref="Lockout"/> before that address is refused.</summary>
    public int MaxFailedLoginsPerAddress { get; init; } = 20;

    /// <summary>Failed logins of one operator from all addresses, without a quiet <see cref="Lockout"/> period, before its logins are slowed down.</summary>
    public int SlowDownAfterFailedLogins { get; init; } = 20;

    /// <summary>While an operator's logins are slowed down: checks run one at a time and each failure holds the line this long.</summary>
    public TimeSpan SlowDown { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The append-only file, outside the database, where the audit chain's head is written at every
    /// inventory sign-off and daily (<c>Gateway:AuditHeadFile</c>; default beside the data folder:
    /// <c>DATAFOLDER.audit-heads.log</c>, so replacing or restoring the data folder leaves it in place).
    /// </summary>
    public string AuditHeadFile { get; init; } = string.Empty;

    /// <summary>The default <see cref="AuditHeadFile"/> for a data folder: a file beside it, named after it.</summary>
    public static string DefaultAuditHeadFile(string dataFolder) =>
        Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataFolder)) + ".audit-heads.log";

    /// <summary>PBKDF2-SHA256 iterations by default (OWASP's 2023 figure for PBKDF2-HMAC-SHA256).</summary>
    public const int DefaultPasswordIterations = 600_000;

    public static SecurityOptions Defaults(string dataFolder) => new(
        Path.Combine(dataFolder, "audit.key"),
        DefaultPasswordIterations,
        3,
        TimeSpan.FromHours(12),
        5,
        TimeSpan.FromMinutes(15),
        NotificationOptions.Default)
    {
        AuditHeadFile = DefaultAuditHeadFile(dataFolder),
    };

    /// <summary>Reads the keys under <paramref name="section"/> (the <c>Gateway</c> section); the error names the key.</summary>
    public static bool TryLoad(IConfigurationSection section, string dataFolder, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SecurityOptions? options, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        options = null;
        var defaults = Defaults(dataFolder);
        var keyFile = section["AuditKeyFile"];
        keyFile = string.IsNullOrWhiteSpace(keyFile) ? defaults.AuditKeyFile : keyFile;
        if (keyFile.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            error = "Gateway:AuditKeyFile: not a valid path";
            return false;
        }

        keyFile = Path.GetFullPath(keyFile, dataFolder);
        var headFile = section["AuditHeadFile"];
        if (!string.IsNullOrWhiteSpace(headFile) && (headFile.IndexOfAny(Path.GetInvalidPathChars()) >= 0 || Path.EndsInDirectorySeparator(headFile)))
        {
            error = "Gateway:AuditHeadFile: not a valid file path";
            return false;
        }

        headFile = string.IsNullOrWhiteSpace(headFile) ? defaults.AuditHeadFile : Path.GetFullPath(headFile, dataFolder);

        if (!TryInt(section, "Operators:PasswordIterations", DefaultPasswordIterations, 1_000, 10_000_000, out var iterations, out error)
            || !TryInt(section, "Operators:PasswordLifetimeMonths", 3, 1, 24, out var lifetimeMonths, out error)
            || !TryInt(section, "Operators:TokenLifetimeMinutes", 12 * 60, 1, 31 * 24 * 60, out var tokenMinutes, out error)
            || !TryInt(section, "Operators:MaxFailedLogins", 5, 1, 100, out var maxFailed, out error)
            || !TryInt(section, "Operators:LockoutMinutes", 15, 1, 24 * 60, out var lockoutMinutes, out error)
            || !TryInt(section, "Operators:MaxFailedLoginsPerAddress", 20, 1, 10_000, out var maxPerAddress, out error)
            || !TryInt(section, "Operators:SlowDownAfterFailedLogins", 20, 1, 100_000, out var slowDownAfter, out error)
            || !TryInt(section, "Operators:SlowDownSeconds", 5, 1, 60, out var slowDownSeconds, out error)
            || !TryLoadNotifications(section.GetSection("Notifications"), out var notifications, out error))
        {
            return false;
        }

        options = new SecurityOptions(keyFile, iterations, lifetimeMonths, TimeSpan.FromMinutes(tokenMinutes), maxFailed, TimeSpan.FromMinutes(lockoutMinutes), notifications)
        {
            MaxFailedLoginsPerAddress = maxPerAddress,
            SlowDownAfterFailedLogins = slowDownAfter,
            SlowDown = TimeSpan.FromSeconds(slowDownSeconds),
            AuditHeadFile = headFile,
        };
        return true;
    }

    private static bool TryLoadNotifications(IConfigurationSection section, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out NotificationOptions? options, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        options = null;
        var transportText = section["Transport"];
        var transport = NotificationTransport.None;
        if (!string.IsNullOrWhiteSpace(transportText)
            && (!Enum.TryParse(transportText, ignoreCase: true, out transport) || !Enum.IsDefined(transport) || int.TryParse(transportText, out _)))
        {
            error = $"Gateway:Notifications:Transport: '{transportText}' is not none, smtp or webhook";
            return false;
        }

        var recipients = new List<string>();
        foreach (var key in new[] { "DepartmentHead", "Finance" })
        {
            var address = section[key];
            if (string.IsNullOrWhiteSpace(address))
            {
                continue;
            }

            if (!MailAddress.TryCreate(address, out _))
            {
                error = $"Gateway:Notifications:{key}: '{address}' is not an e-mail address";
                return false;
            }

            recipients.Add(address.Trim());
        }

        if (!TryInt(section.GetSection("Smtp"), "Port", 25, 1, 65535, out var smtpPort, out error, "Gateway:Notifications:Smtp:")
            || !TryInt(section, "RetryMinSeconds", 5, 1, 3600, out var retryMin, out error, "Gateway:Notifications:")
            || !TryInt(section, "RetryMaxSeconds", 900, 1, 86_400, out var retryMax, out error, "Gateway:Notifications:")
            || !TryInt(section, "PollIntervalMilliseconds", 2000, 50, 3_600_000, out var poll, out error, "Gateway:Notifications:"))
        {
            return false;
        }

        if (retryMax < retryMin)
        {
            error = "Gateway:Notifications:RetryMaxSeconds: must not be less than RetryMinSeconds";
            return false;
        }

        SmtpOptions? smtp = null;
        Uri? webhook = null;
        if (transport == NotificationTransport.Smtp)
        {
            var host = section["Smtp:Host"];
            if (string.IsNullOrWhiteSpace(host))
            {
                error = "Gateway:Notifications:Smtp:Host: the SMTP relay's host name is required when Transport is smtp";
                return false;
            }

            var from = section["Smtp:From"];
            if (string.IsNullOrWhiteSpace(from) || !MailAddress.TryCreate(from, out _))
            {
                error = $"Gateway:Notifications:Smtp:From: '{from}' is not an e-mail address";
                return false;
            }

            if (recipients.Count == 0)
            {
                error = "Gateway:Notifications:DepartmentHead: at least one of DepartmentHead and Finance is required when Transport is smtp";
                return false;
            }

            var startTlsText = section["Smtp:StartTls"] ?? "false";
            if (!bool.TryParse(startTlsText, out var startTls))
            {
                error = $"Gateway:Notifications:Smtp:StartTls: '{startTlsText}' is not true or false";
                return false;
            }

            var user = section["Smtp:UserName"];
            var password = section["Smtp:Password"];
            smtp = new SmtpOptions(host.Trim(), smtpPort, from.Trim(), startTls, string.IsNullOrWhiteSpace(user) ? null : user, string.IsNullOrEmpty(password) ? null : new Secret(password));
        }
        else if (transport == NotificationTransport.Webhook)
        {
            var url = section["Webhook:Url"];
            if (!Uri.TryCreate(url, UriKind.Absolute, out webhook) || (webhook.Scheme != Uri.UriSchemeHttp && webhook.Scheme != Uri.UriSchemeHttps))
            {
                // A query string or user info may hold the receiver's key: never echo them.
                error = $"Gateway:Notifications:Webhook:Url: '{Gateway.Service.Notifications.SecretUrl.Redact(url)}' is not an http:// or https:// URL";
                return false;
            }
        }

        options = new NotificationOptions(transport, recipients, smtp, webhook, TimeSpan.FromSeconds(retryMin), TimeSpan.FromSeconds(retryMax), TimeSpan.FromMilliseconds(poll));
        error = null;
        return true;
    }

    private static bool TryInt(IConfigurationSection section, string key, int fallback, int min, int max, out int value, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error, string prefix = "Gateway:")
    {
        var text = section[key];
        value = fallback;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) || value < min || value > max)
        {
            error = $"{prefix}{key}: '{text}' is not a whole number from {min} to {max}";
            return false;
        }

        return true;
    }
}
