using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Service.Api;
using Gateway.Service.Notifications;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Operators;

/// <summary>An operator as the API shows it (never the hash).</summary>
public sealed record OperatorView(
    string Id,
    string DisplayName,
    IReadOnlyList<string> Roles,
    bool Disabled,
    bool MustChangePassword,
    string PasswordChangedUtc,
    string PasswordExpiresUtc,
    string? LockedUntilUtc,
    string CreatedUtc);

/// <summary>The outcome of a login attempt.</summary>
public abstract record LoginOutcome
{
    public sealed record Success(string Token, DateTimeOffset ExpiresUtc, OperatorView Operator, bool PasswordChangeRequired, string? PasswordChangeReason) : LoginOutcome;

    public sealed record Refused : LoginOutcome;

    public sealed record Locked(DateTimeOffset UntilUtc) : LoginOutcome;
}

/// <summary>Why a password change was refused. <see cref="LockedUntil"/>: too many wrong current passwords from this address.</summary>
public sealed record PasswordRefusal(string Field, string Message, bool WrongCurrent = false, DateTimeOffset? LockedUntil = null);

/// <summary>
/// Operators, passwords and tokens in SQLite, every change through the <see cref="UnitOfWork"/> with
/// its audit entry (before/after, never a hash or token). Time comes from <see cref="TimeProvider"/>,
/// so expiry and lockout are tested with a fake clock.
/// </summary>
public sealed partial class OperatorStore
{
    /// <summary>A new password may equal none of the last this-many passwords (the current one included).</summary>
    public const int ReuseHistory = 4;

    /// <summary>Shortest password accepted.</summary>
    public const int MinimumPasswordLength = 12;

    /// <summary>The pseudo-role of a token whose operator must change the password before anything else.</summary>
    public const string PasswordChangeRequiredRole = "password-change-required";

    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _units;
    private readonly SecurityOptions _options;
    private readonly PasswordHasher _hasher;
    private readonly TimeProvider _time;
    private readonly NotificationOutbox _outbox;
    private readonly LoginThrottle _throttle;
    private readonly Lazy<string> _unknownNameHash;
    private readonly BootstrapRetirement _retirement;

    public OperatorStore(GatewayDatabase database, UnitOfWorkFactory units, SecurityOptions options, TimeProvider time, NotificationOutbox outbox, LoginThrottle throttle, BootstrapRetirement retirement)
    {
        _retirement = retirement;
        _throttle = throttle;
        _database = database;
        _units = units;
        _options = options;
        _hasher = new PasswordHasher(_options.PasswordIterations);
        _unknownNameHash = new Lazy<string>(() => _hasher.Hash("no-such-operator"));
        _time = time;
        _outbox = outbox;
    }

    /// <summary>
    /// The hash an unknown or disabled name's password is checked against: made with the configured
    /// iterations, so such a login costs the same PBKDF2 work as a real operator's and its timing does not
    /// tell which names exist.
    /// </summary>
    internal string UnknownNameHash => _unknownNameHash.Value;

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{1,31}$")]
    public static partial Regex UsernamePattern();

    /// <summary>Ids that name the service or the bootstrap token, never an operator.</summary>
    public static IReadOnlySet<string> ReservedIds { get; } = new HashSet<string>(StringComparer.Ordinal) { BootstrapTokenAuthenticator.OperatorId, Actor.System.OperatorId };

    /// <summary>When a password set at <paramref name="changedUtc"/> expires.</summary>
    public DateTimeOffset PasswordExpiry(DateTimeOffset changedUtc) => changedUtc.AddMonths(_options.PasswordLifetimeMonths);

    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Checks a new password's form; null when acceptable.</summary>
    public static string? CheckPasswordRule(string username, string password)
    {
        if (password.Length < MinimumPasswordLength || password.Length > 256)
        {
            return $"must be {MinimumPasswordLength}-256 characters";
        }

        if (password.Any(char.IsControl))
        {
            return "must not contain control characters";
        }

        return password.Contains(username, StringComparison.OrdinalIgnoreCase) ? "must not contain the user name" : null;
    }

    public async Task<bool> AnyOperatorAsync(CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT EXISTS (SELECT 1 FROM operators)";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 1;
    }

    public async Task<IReadOnlyList<OperatorView>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        var rows = await ReadAsync(connection, null, null, cancellationToken);
        return rows.Select(ToView).ToList();
    }

    public async Task<OperatorView?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        var rows = await ReadAsync(connection, null, id, cancellationToken);
        return rows.Count == 1 ? ToView(rows[0]) : null;
    }

    /// <summary>Creates an operator whose password must be changed at first login. Null when the id exists.</summary>
    public Task<OperatorView?> CreateAsync(Actor actor, string id, string displayName, IReadOnlyList<string> roles, string password, CancellationToken cancellationToken) =>
        CreateWithPasswordAsync(actor, id, displayName, roles, password, oneTime: true, cancellationToken);

    /// <summary>
    /// Creates an operator; with <paramref name="oneTime"/> false the password is theirs to use as it is
    /// (the demo's operators). Null when the id exists.
    /// </summary>
    internal async Task<OperatorView?> CreateWithPasswordAsync(Actor actor, string id, string displayName, IReadOnlyList<string> roles, string password, bool oneTime, CancellationToken cancellationToken)
    {
        var hash = _hasher.Hash(password);
        await using var unit = await _units.BeginAsync(actor, cancellationToken);
        if ((await ReadAsync(unit.Connection, unit.Transaction, id, cancellationToken)).Count > 0)
        {
            return null;
        }

        var now = UnitOfWork.Timestamp(unit.NowUtc);
        await using (var insert = unit.Command("""
            INSERT INTO operators(id, display_name, roles, password_hash, password_changed_utc, must_change_password, created_utc)
            VALUES ($id, $name, $roles, $hash, $now, $must, $now)
            """))
        {
            insert.Parameters.AddWithValue("$must", oneTime ? 1 : 0);
            insert.Parameters.AddWithValue("$id", id);
            insert.Parameters.AddWithValue("$name", displayName);
            insert.Parameters.AddWithValue("$roles", string.Join(',', roles));
            insert.Parameters.AddWithValue("$hash", hash);
            insert.Parameters.AddWithValue("$now", now);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        var created = (await ReadAsync(unit.Connection, unit.Transaction, id, cancellationToken))[0];
        unit.Audit("operator.create", Subject(id), new { before = (object?)null, after = AuditView(created) });
        await unit.CommitAsync(cancellationToken);
        return ToView(created);
    }

    /// <summary>Changes name, roles, disabled flag and/or sets a one-time password. Null when no such operator.</summary>
    public async Task<OperatorView?> UpdateAsync(Actor actor, string id, string? displayName, IReadOnlyList<string>? roles, bool? disabled, string? password, CancellationToken cancellationToken)
    {
        var hash = password is null ? null : _hasher.Hash(password);
        await using var unit = await _units.BeginAsync(actor, cancellationToken);
        var rows = await ReadAsync(unit.Connection, unit.Transaction, id, cancellationToken);
        if (rows.Count == 0)
        {
            return null;
        }

        var before = rows[0];
        await using (var update = unit.Command("""
            UPDATE operators SET display_name = $name, roles = $roles, disabled = $disabled
            WHERE id = $id
            """))
        {
            update.Parameters.AddWithValue("$id", id);
            update.Parameters.AddWithValue("$name", displayName ?? before.DisplayName);
            update.Parameters.AddWithValue("$roles", string.Join(',', roles ?? before.Roles));
            update.Parameters.AddWithValue("$disabled", (disabled ?? before.Disabled) ? 1 : 0);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        if (hash is not null)
        {
            await SetPasswordAsync(unit, before, hash, mustChange: true, cancellationToken);
            unit.Audit("operator.password-reset", Subject(id), new { passwordChangedUtc = UnitOfWork.Timestamp(unit.NowUtc), mustChangePassword = true });
            await QueueRotationNoticeAsync(unit, id, "reset by " + actor.OperatorId, cancellationToken);
        }

        if (disabled == true || hash is not null)
        {
            await RevokeTokensAsync(unit, id, null, cancellationToken);
        }

        var after = (await ReadAsync(unit.Connection, unit.Transaction, id, cancellationToken))[0];
        unit.Audit("operator.update", Subject(id), new { before = AuditView(before), after = AuditView(after) });

        // An operator who already set their own password and is now made admin retires the bootstrap token as their own change would.
        var retires = HasOwnAdminPassword(after) && await BootstrapRetirement.RetireAsync(unit, id, cancellationToken);
        await unit.CommitAsync(cancellationToken);
        if (retires)
        {
            _retirement.Announce(id);
        }

        if (hash is not null || (before.Disabled && !after.Disabled))
        {
            // An admin's new one-time password or re-enabling lifts the operator's login locks at every address.
            _throttle.Clear(id);
        }

        return ToView(after);
    }

    /// <summary>
    /// Checks a user name and password from a remote address. Too many consecutive failures lock the
    /// operator at that address only (<see cref="LoginThrottle"/>); while locked there, even the right
    /// password is refused. Unknown names cost the same hash, so timing does not tell which names exist.
    /// Callers check <see cref="LoginThrottle.BlockedUntil"/> and take a <see cref="LoginThrottle.EnterAsync"/> turn first.
    /// </summary>
    public async Task<LoginOutcome> LoginAsync(string username, string password, string address, CancellationToken cancellationToken)
    {
        if (_throttle.LockedUntil(username, address) is { } lockedUntil)
        {
            return new LoginOutcome.Locked(lockedUntil);
        }

        // The slow hash runs outside the write gate, so a login never holds up other writers.
        OperatorRow? row;
        await using (var connection = _database.OpenConnection())
        {
            var rows = await ReadAsync(connection, null, username, cancellationToken);
            row = rows.Count == 1 ? rows[0] : null;
        }

        if (row is null || row.Disabled)
        {
            _ = PasswordHasher.Verify(password, UnknownNameHash);
            return _throttle.Failed(username, address) is { } until ? new LoginOutcome.Locked(until) : new LoginOutcome.Refused();
        }

        var verified = PasswordHasher.Verify(password, row.PasswordHash);
        await using var unit = await _units.BeginAsync(new Actor(row.Id, row.DisplayName), cancellationToken);
        var now = unit.NowUtc;
        if (!verified)
        {
            var locked = _throttle.Failed(row.Id, address);
            unit.Audit(locked is null ? "operator.login-failed" : "operator.locked", Subject(row.Id), new { address, lockedUntilUtc = locked is { } l ? UnitOfWork.Timestamp(l) : null });
            await unit.CommitAsync(cancellationToken);
            return locked is { } until ? new LoginOutcome.Locked(until) : new LoginOutcome.Refused();
        }

        _throttle.Succeeded(row.Id, address);

        await PurgeExpiredTokensAsync(unit, cancellationToken);
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var expires = now + _options.TokenLifetime;
        await using (var insert = unit.Command("INSERT INTO operator_tokens(token_hash, operator_id, created_utc, expires_utc) VALUES ($hash, $id, $now, $expires)"))
        {
            insert.Parameters.AddWithValue("$hash", HashToken(token));
            insert.Parameters.AddWithValue("$id", row.Id);
            insert.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(now));
            insert.Parameters.AddWithValue("$expires", UnitOfWork.Timestamp(expires));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        var reason = ChangeReason(row, now);
        unit.Audit("operator.login", Subject(row.Id), new { tokenExpiresUtc = UnitOfWork.Timestamp(expires), passwordChangeRequired = reason });
        await unit.CommitAsync(cancellationToken);
        return new LoginOutcome.Success(token, expires, ToView(row), reason is not null, reason);
    }

    /// <summary>The operator behind a token, or null (unknown, expired, revoked, disabled).</summary>
    public async Task<OperatorIdentity?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT o.id FROM operator_tokens t JOIN operators o ON o.id = t.operator_id
            WHERE t.token_hash = $hash AND t.revoked_utc IS NULL AND t.expires_utc > $now AND o.disabled = 0
            """;
        command.Parameters.AddWithValue("$hash", HashToken(token));
        command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(_time.GetUtcNow()));
        if (await command.ExecuteScalarAsync(cancellationToken) is not string id)
        {
            return null;
        }

        var row = (await ReadAsync(connection, null, id, cancellationToken))[0];
        return ChangeReason(row, _time.GetUtcNow()) is not null
            ? new OperatorIdentity(row.Id, row.DisplayName, [PasswordChangeRequiredRole])
            : new OperatorIdentity(row.Id, row.DisplayName, row.Roles);
    }

    /// <summary>Revokes one token (logout).</summary>
    public async Task LogoutAsync(Actor actor, string token, CancellationToken cancellationToken)
    {
        await using var unit = await _units.BeginAsync(actor, cancellationToken);
        var revoked = await RevokeTokensAsync(unit, actor.OperatorId, HashToken(token), cancellationToken);
        unit.Audit("operator.logout", Subject(actor.OperatorId), new { tokensRevoked = revoked });
        await unit.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// The operator's own password change (the quarterly rotation): checks the current password, the
    /// rule and the last <see cref="ReuseHistory"/> passwords; audits it, queues the rotation notice to the
    /// department head and finance, and revokes every other token of the operator (a stolen token dies
    /// with the old password), all in one transaction. A wrong current password counts as a failed login of
    /// the operator from <paramref name="address"/> (<see cref="LoginThrottle"/>), so a stolen token cannot
    /// be used to guess the password faster than a login could. Returns the new expiry, or the refusal.
    /// </summary>
    public async Task<(DateTimeOffset? ExpiresUtc, PasswordRefusal? Refusal)> ChangePasswordAsync(Actor actor, string currentPassword, string newPassword, string address, string presentedToken, CancellationToken cancellationToken)
    {
        if (_throttle.LockedUntil(actor.OperatorId, address) is { } lockedUntil)
        {
            return (null, new PasswordRefusal("currentPassword", "too many wrong passwords from this address", WrongCurrent: true, LockedUntil: lockedUntil));
        }

        if (CheckPasswordRule(actor.OperatorId, newPassword) is { } rule)
        {
            return (null, new PasswordRefusal("newPassword", rule));
        }

        // Hashing and the reuse check run outside the write gate; the update then insists the hash is unchanged.
        OperatorRow row;
        var recent = new List<string>();
        await using (var connection = _database.OpenConnection())
        {
            var rows = await ReadAsync(connection, null, actor.OperatorId, cancellationToken);
            if (rows.Count == 0)
            {
                return (null, new PasswordRefusal("operator", "the bootstrap token has no password"));
            }

            row = rows[0];
            recent.Add(row.PasswordHash);
            await using var history = connection.CreateCommand();
            history.CommandText = "SELECT password_hash FROM operator_password_history WHERE operator_id = $id ORDER BY id DESC LIMIT $n";
            history.Parameters.AddWithValue("$id", row.Id);
            history.Parameters.AddWithValue("$n", ReuseHistory - 1);
            await using var reader = await history.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                recent.Add(reader.GetString(0));
            }
        }

        if (!PasswordHasher.Verify(currentPassword, row.PasswordHash))
        {
            var locked = _throttle.Failed(row.Id, address);
            await using (var failed = await _units.BeginAsync(actor, cancellationToken))
            {
                failed.Audit(locked is null ? "operator.password-change-failed" : "operator.locked", Subject(row.Id), new { address, lockedUntilUtc = locked is { } l ? UnitOfWork.Timestamp(l) : null });
                await failed.CommitAsync(cancellationToken);
            }

            return (null, new PasswordRefusal("currentPassword", "is not the current password", WrongCurrent: true, LockedUntil: locked));
        }

        _throttle.Succeeded(row.Id, address);
        if (recent.Any(h => PasswordHasher.Verify(newPassword, h)))
        {
            return (null, new PasswordRefusal("newPassword", $"must differ from the last {ReuseHistory} passwords"));
        }

        var newHash = _hasher.Hash(newPassword);
        await using var unit = await _units.BeginAsync(actor, cancellationToken);
        var current = await ReadAsync(unit.Connection, unit.Transaction, actor.OperatorId, cancellationToken);
        if (current.Count == 0 || current[0].PasswordHash != row.PasswordHash)
        {
            return (null, new PasswordRefusal("currentPassword", "the password changed meanwhile; try again", WrongCurrent: true));
        }

        await SetPasswordAsync(unit, row, newHash, mustChange: false, cancellationToken);
        var revoked = await RevokeTokensAsync(unit, row.Id, null, cancellationToken, exceptHash: HashToken(presentedToken));
        var expires = PasswordExpiry(unit.NowUtc);
        unit.Audit("operator.password-change", Subject(row.Id), new
        {
            before = new { passwordChangedUtc = row.PasswordChangedUtc, mustChangePassword = row.MustChangePassword },
            after = new { passwordChangedUtc = UnitOfWork.Timestamp(unit.NowUtc), passwordExpiresUtc = UnitOfWork.Timestamp(expires), mustChangePassword = false },
            otherTokensRevoked = revoked,
        });
        await QueueRotationNoticeAsync(unit, row.Id, "changed by the operator", cancellationToken);

        // An admin with a password of their own: the bootstrap token has done its work (docs/operators.md, "First start").
        var retires = row.Roles.Contains(GatewayRoles.Admin) && !row.Disabled && await BootstrapRetirement.RetireAsync(unit, row.Id, cancellationToken);
        await unit.CommitAsync(cancellationToken);
        if (retires)
        {
            _retirement.Announce(row.Id);
        }

        return (expires, null);
    }

    /// <summary>Deletes tokens past their expiry (revoked or not): they can never authenticate again. Returns how many.</summary>
    public async Task<int> PurgeExpiredTokensAsync(CancellationToken cancellationToken)
    {
        // Most days there is nothing to delete: look before taking the write gate.
        await using (var connection = _database.OpenConnection())
        await using (var any = connection.CreateCommand())
        {
            any.CommandText = "SELECT EXISTS (SELECT 1 FROM operator_tokens WHERE expires_utc <= $now)";
            any.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(_time.GetUtcNow()));
            if (Convert.ToInt64(await any.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 0)
            {
                return 0;
            }
        }

        await using var unit = await _units.BeginAsync(Actor.System, cancellationToken);
        var purged = await PurgeExpiredTokensAsync(unit, cancellationToken);
        if (purged == 0)
        {
            return 0;
        }

        unit.Audit("operator.tokens-purged", "operator-tokens", new { purged });
        await unit.CommitAsync(cancellationToken);
        return purged;
    }

    private static async Task<int> PurgeExpiredTokensAsync(UnitOfWork unit, CancellationToken cancellationToken)
    {
        await using var purge = unit.Command("DELETE FROM operator_tokens WHERE expires_utc <= $now");
        purge.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
        return await purge.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task QueueRotationNoticeAsync(UnitOfWork unit, string operatorId, string how, CancellationToken cancellationToken)
    {
        var expires = PasswordExpiry(unit.NowUtc);
        await _outbox.EnqueueAsync(
            unit,
            "password-rotation",
            $"Gateway: password of operator {operatorId} rotated",
            $"The Gateway password of operator '{operatorId}' was {how} at {UnitOfWork.Timestamp(unit.NowUtc)} (UTC).\n"
                + $"The next change is due by {UnitOfWork.Timestamp(expires)} (UTC).\n"
                + "This notice carries no password.\n",
            cancellationToken);
    }

    private static async Task SetPasswordAsync(UnitOfWork unit, OperatorRow row, string hash, bool mustChange, CancellationToken cancellationToken)
    {
        await using (var history = unit.Command("INSERT INTO operator_password_history(operator_id, password_hash, retired_utc) VALUES ($id, $hash, $now)"))
        {
            history.Parameters.AddWithValue("$id", row.Id);
            history.Parameters.AddWithValue("$hash", row.PasswordHash);
            history.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
            await history.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var update = unit.Command("UPDATE operators SET password_hash = $hash, password_changed_utc = $now, must_change_password = $must WHERE id = $id");
        update.Parameters.AddWithValue("$id", row.Id);
        update.Parameters.AddWithValue("$hash", hash);
        update.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
        update.Parameters.AddWithValue("$must", mustChange ? 1 : 0);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<int> RevokeTokensAsync(UnitOfWork unit, string operatorId, string? onlyHash, CancellationToken cancellationToken, string? exceptHash = null)
    {
        await using var revoke = unit.Command("""
            UPDATE operator_tokens SET revoked_utc = $now
            WHERE operator_id = $id AND revoked_utc IS NULL AND ($hash IS NULL OR token_hash = $hash) AND ($except IS NULL OR token_hash <> $except)
            """);
        revoke.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
        revoke.Parameters.AddWithValue("$id", operatorId);
        revoke.Parameters.AddWithValue("$hash", (object?)onlyHash ?? DBNull.Value);
        revoke.Parameters.AddWithValue("$except", (object?)exceptHash ?? DBNull.Value);
        return await revoke.ExecuteNonQueryAsync(cancellationToken);
    }

    private static bool HasOwnAdminPassword(OperatorRow row) => row.Roles.Contains(GatewayRoles.Admin) && !row.MustChangePassword && !row.Disabled;

    private string? ChangeReason(OperatorRow row, DateTimeOffset now) =>
        row.MustChangePassword ? "one-time password"
        : PasswordExpiry(UnitOfWork.ParseTimestamp(row.PasswordChangedUtc)) <= now ? "expired"
        : null;

    private OperatorView ToView(OperatorRow row) => new(
        row.Id,
        row.DisplayName,
        row.Roles,
        row.Disabled,
        ChangeReason(row, _time.GetUtcNow()) is not null,
        row.PasswordChangedUtc,
        UnitOfWork.Timestamp(PasswordExpiry(UnitOfWork.ParseTimestamp(row.PasswordChangedUtc))),
        _throttle.LockedUntil(row.Id) is { } locked ? UnitOfWork.Timestamp(locked) : null,
        row.CreatedUtc);

    private static object AuditView(OperatorRow row) => new { displayName = row.DisplayName, roles = row.Roles, disabled = row.Disabled, mustChangePassword = row.MustChangePassword };

    private static string Subject(string id) => "operator:" + id;

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static async Task<List<OperatorRow>> ReadAsync(SqliteConnection connection, SqliteTransaction? transaction, string? id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT id, display_name, roles, password_hash, password_changed_utc, must_change_password, disabled, created_utc FROM operators"
            + (id is null ? string.Empty : " WHERE id = $id") + " ORDER BY id";
        if (id is not null)
        {
            command.Parameters.AddWithValue("$id", id);
        }

        var rows = new List<OperatorRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new OperatorRow(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2).Split(',', StringSplitOptions.RemoveEmptyEntries),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetInt64(5) == 1,
                reader.GetInt64(6) == 1,
                reader.GetString(7)));
        }

        return rows;
    }

    private sealed record OperatorRow(string Id, string DisplayName, IReadOnlyList<string> Roles, string PasswordHash, string PasswordChangedUtc, bool MustChangePassword, bool Disabled, string CreatedUtc);
}
