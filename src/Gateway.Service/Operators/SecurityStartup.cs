using Gateway.Service.Audit;
using Gateway.Service.Site;
using Gateway.Shared;

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
    private readonly SiteOptions _site;
    private readonly SecurityOptions _security;
    private readonly bool _bootstrapTokenSet;
    private readonly ILogger<SecurityStartup> _logger;

    private readonly Notifications.NotificationOutbox _outbox;
    private readonly Storage.UnitOfWorkFactory _units;
    private readonly BootstrapRetirement _retirement;
    private readonly Demo.DemoOperators? _demo;

    public SecurityStartup(AuditKey key, AuditLog audit, OperatorStore operators, SiteOptions site, SecurityOptions security, Api.BootstrapTokenAuthenticator bootstrap, Notifications.NotificationOutbox outbox, Storage.UnitOfWorkFactory units, BootstrapRetirement retirement, ILogger<SecurityStartup> logger, Demo.DemoOperators? demo = null)
    {
        _demo = demo;
        _retirement = retirement;
        _outbox = outbox;
        _units = units;
        _key = key;
        _audit = audit;
        _operators = operators;
        _site = site;
        _security = security;
        _bootstrapTokenSet = bootstrap.IsConfigured;
        _logger = logger;
    }

    public string InitialPasswordPath => Path.Combine(_site.DataFolder, InitialPasswordFileName);

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

        if (OwnerOnlyFile.IsOpenToOthers(_key.Path))
        {
            _logger.LogWarning("The audit key file {AuditKeyFile} is readable by others than its owner: chmod 600 it", _key.Path);
        }

        WarnIfOpenToOthers();

        if (_security.Notifications.WebhookUrl is { } webhook
            && await _outbox.ScrubWebhookUrlAsync(webhook, _units, cancellationToken) is var scrubbed and > 0)
        {
            _logger.LogWarning("Removed the webhook URL's query string and user info from {NotificationCount} stored delivery error(s): backups taken before hold them; see docs/operators.md", scrubbed);
        }

        await CreateFirstOperatorsAsync(cancellationToken);
        var retired = await _retirement.RetireIfAnAdminHasOwnPasswordAsync(_units, cancellationToken);
        if (_bootstrapTokenSet)
        {
            if (retired is not null)
            {
                _logger.LogWarning("Gateway:BootstrapToken is set but retired since {RetiredUtc} (admin operator {OperatorId} set their own password): it is refused; remove it from the configuration", Storage.UnitOfWork.Timestamp(retired.AtUtc), retired.OperatorId);
            }
            else
            {
                _logger.LogWarning("Gateway:BootstrapToken is set: it holds every role until an admin operator has set their own password, then it is refused");
            }
        }
    }

    /// <summary>
    /// The data folder and the database are created owner-only; one made earlier (by an earlier version,
    /// or by hand) keeps its mode, and every start says so while others can reach it.
    /// </summary>
    private void WarnIfOpenToOthers()
    {
        if (Directory.Exists(_site.DataFolder) && OwnerOnlyFile.IsOpenToOthers(_site.DataFolder))
        {
            _logger.LogWarning("The data folder {DataFolder} is open to other users (mode {Mode}): chmod 700 it (docs/operators.md, \"The data folder\")", _site.DataFolder, OwnerOnlyFile.OctalMode(_site.DataFolder));
        }

        if (File.Exists(_site.DatabasePath) && OwnerOnlyFile.IsOpenToOthers(_site.DatabasePath))
        {
            _logger.LogWarning("The database {DatabasePath} is open to other users (mode {Mode}): chmod 600 it and its -wal and -shm files (docs/operators.md, \"The data folder\")", _site.DatabasePath, OwnerOnlyFile.OctalMode(_site.DatabasePath));
        }
    }

    /// <summary>
    /// A site without operators gets operator <c>admin</c> with a one-time password in a file; the demo
    /// gets its named operators instead (<see cref="Demo.DemoOperators"/>).
    /// </summary>
    private async Task CreateFirstOperatorsAsync(CancellationToken cancellationToken)
    {
        if (_demo is not null)
        {
            if (await _demo.CreateMissingAsync(_operators, cancellationToken) is { Count: > 0 } created)
            {
                _logger.LogWarning("Created demo operator(s) {OperatorIds}, each with a password in {DataFolder}/NAME.password", string.Join(", ", created), _demo.DataFolder);
            }

            return;
        }

        if (await _operators.AnyOperatorAsync(cancellationToken))
        {
            return;
        }

        // The file first: should it fail, no admin exists whose password nobody knows.
        var password = PasswordHasher.GenerateOneTimePassword();
        OwnerOnlyFile.WriteText(InitialPasswordPath, password + "\n");
        await _operators.CreateAsync(Storage.Actor.System, "admin", "Administrator", [Api.GatewayRoles.Admin], password, cancellationToken);
        _logger.LogWarning("Created operator {OperatorId} with a one-time password in {PasswordFile} (readable by the service account only); the first login must change it, then delete the file", "admin", InitialPasswordPath);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
