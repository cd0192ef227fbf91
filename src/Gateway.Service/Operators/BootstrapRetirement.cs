using System.Globalization;
using Gateway.Service.Api;
using Gateway.Service.Storage;

namespace Gateway.Service.Operators;

/// <summary>When the bootstrap token was retired, and by which admin's own password.</summary>
public sealed record BootstrapRetired(DateTimeOffset AtUtc, string OperatorId);

/// <summary>
/// The bootstrap token's retirement. The token (<c>Gateway:BootstrapToken</c>) holds every role, so it is
/// only a way in until the site has an admin who can log in: once an admin operator has set their own
/// password, the token is refused for good (<c>401 bootstrap-token-retired</c>), whatever happens to that
/// admin later. The fact is kept in <c>site_settings</c> (so a restored backup keeps it) and written in the
/// same transaction as the password change that causes it, with an audit entry.
/// </summary>
public sealed class BootstrapRetirement
{
    /// <summary>The <c>site_settings</c> key: value <c>UTC-TIMESTAMP OPERATOR-ID</c>.</summary>
    public const string SettingKey = "bootstrap_token_retired";

    private readonly GatewayDatabase _database;
    private readonly ILogger<BootstrapRetirement> _logger;
    private BootstrapRetired? _retired;

    public BootstrapRetirement(GatewayDatabase database, ILogger<BootstrapRetirement> logger)
    {
        _database = database;
        _logger = logger;
    }

    /// <summary>The retirement, or null while the bootstrap token is still a way in. Once seen, it is remembered.</summary>
    public async ValueTask<BootstrapRetired?> RetiredAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _retired) is { } known)
        {
            return known;
        }

        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM site_settings WHERE key = $key";
        command.Parameters.AddWithValue("$key", SettingKey);
        if (await command.ExecuteScalarAsync(cancellationToken) is not string value)
        {
            return null;
        }

        var retired = Parse(value);
        Volatile.Write(ref _retired, retired);
        return retired;
    }

    /// <summary>
    /// Inside <paramref name="unit"/>: retires the bootstrap token because admin <paramref name="operatorId"/>
    /// has a password of their own, unless it is retired already. Audited as <c>operator.bootstrap-token-retired</c>.
    /// True when this unit retires it: call <see cref="Announce"/> once the unit has committed.
    /// </summary>
    public static async Task<bool> RetireAsync(UnitOfWork unit, string operatorId, CancellationToken cancellationToken)
    {
        await using var insert = unit.Command("INSERT INTO site_settings(key, value) VALUES ($key, $value) ON CONFLICT(key) DO NOTHING");
        insert.Parameters.AddWithValue("$key", SettingKey);
        insert.Parameters.AddWithValue("$value", UnitOfWork.Timestamp(unit.NowUtc) + " " + operatorId);
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        unit.Audit("operator.bootstrap-token-retired", "bootstrap-token", new { byOperator = operatorId });
        return true;
    }

    /// <summary>Logs a retirement just committed.</summary>
    public void Announce(string operatorId) =>
        _logger.LogWarning("The bootstrap token is retired: admin operator {OperatorId} has set their own password, so Gateway:BootstrapToken is refused from now on; remove it from the configuration", operatorId);

    /// <summary>
    /// At start, for a database from before retirement existed: an admin whose current password is their
    /// own (not a one-time password) retires the token now. Returns the retirement, or null.
    /// </summary>
    public async Task<BootstrapRetired?> RetireIfAnAdminHasOwnPasswordAsync(UnitOfWorkFactory units, CancellationToken cancellationToken)
    {
        if (await RetiredAsync(cancellationToken) is { } retired)
        {
            return retired;
        }

        string? admin;
        await using (var connection = _database.OpenConnection())
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT id FROM operators WHERE must_change_password = 0 AND disabled = 0 AND ',' || roles || ',' LIKE $role ORDER BY password_changed_utc LIMIT 1";
            command.Parameters.AddWithValue("$role", "%," + GatewayRoles.Admin + ",%");
            admin = await command.ExecuteScalarAsync(cancellationToken) as string;
        }

        if (admin is null)
        {
            return null;
        }

        await using (var unit = await units.BeginAsync(Actor.System, cancellationToken))
        {
            if (await RetireAsync(unit, admin, cancellationToken))
            {
                await unit.CommitAsync(cancellationToken);
                Announce(admin);
            }
        }

        return await RetiredAsync(cancellationToken);
    }

    private static BootstrapRetired Parse(string value)
    {
        var space = value.IndexOf(' ', StringComparison.Ordinal);
        var at = DateTimeOffset.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        return new BootstrapRetired(at, space < 0 ? string.Empty : value[(space + 1)..]);
    }
}
