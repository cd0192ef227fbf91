using Gateway.Service.Audit;
using Gateway.Service.Hosting;

namespace Gateway.Service.Operators;

/// <summary>
/// At start: loads (or, for an empty log, creates) the audit key, then creates the first admin with a
/// one-time password when no operator exists. The password goes to a file readable by the service
/// account only; the log names the file, never the password.
/// </summary>
public sealed class SecurityStartup : IHostedService
{
    public const string InitialPasswordFileName = "initial-admin-password.txt";

    private readonly AuditKey _key;
    private readonly AuditLog _audit;
    private readonly OperatorStore _operators;
    private readonly GatewayOptions _options;
    private readonly ILogger<SecurityStartup> _logger;

    private readonly Notifications.NotificationOutbox _outbox;
    private readonly Storage.UnitOfWorkFactory _units;

    public SecurityStartup(AuditKey key, AuditLog audit, OperatorStore operators, GatewayOptions options, Notifications.NotificationOutbox outbox, Storage.UnitOfWorkFactory units, ILogger<SecurityStartup> logger)
    {
        _outbox = outbox;
        _units = units;
        _key = key;
        _audit = audit;
        _operators = operators;
        _options = options;
        _logger = logger;
    }

    public string InitialPasswordPath => Path.Combine(_options.DataFolder, InitialPasswordFileName);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_key.LoadOrCreate(_audit.IsEmpty()))
        {
            _logger.LogWarning("Created the audit key at {AuditKeyFile}: keep a copy of it apart from the database backups (docs/backup.md)", _key.Path);
        }
        else
        {
            _logger.LogInformation("Audit key loaded from {AuditKeyFile}", _key.Path);
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(_key.Path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            _logger.LogWarning("The audit key file {AuditKeyFile} is readable by others than its owner: chmod 600 it", _key.Path);
        }

        if (_options.Security.Notifications.WebhookUrl is { } webhook
            && await _outbox.ScrubWebhookUrlAsync(webhook, _units, cancellationToken) is var scrubbed and > 0)
        {
            _logger.LogWarning("Removed the webhook URL's query string and user info from {NotificationCount} stored delivery error(s): backups taken before hold them; see docs/operators.md", scrubbed);
        }

        var password = await _operators.CreateInitialAdminAsync(cancellationToken);
        if (password is null)
        {
            return;
        }

        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(InitialPasswordPath, options))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteLineAsync(password.AsMemory(), cancellationToken);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(InitialPasswordPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        _logger.LogWarning("Created operator {OperatorId} with a one-time password in {PasswordFile} (readable by the service account only); the first login must change it, then delete the file", "admin", InitialPasswordPath);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
