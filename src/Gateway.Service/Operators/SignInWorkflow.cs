using Gateway.Service.Api;
using Gateway.Service.Domain;
using Gateway.Service.Site;
using Gateway.Service.Storage;

namespace Gateway.Service.Operators;

/// <summary>A successful sign-in: the login token, when it expires, the operator, and whether the password must be changed first.</summary>
public sealed record SignedIn(string Token, DateTimeOffset ExpiresUtc, OperatorView Operator, bool PasswordChangeRequired, string? PasswordChangeReason);

/// <summary>
/// Signing in with a name and password, and changing one's own password, for every door in: the API
/// (<c>POST /api/login</c>, <c>POST /api/me/password</c>) and the console's sign-in and password pages.
/// The limits of <see cref="LoginThrottle"/> apply the same way to both (docs/operators.md, "Failed
/// logins"): an address over its limit, a name locked at this address, a slowed-down name's line.
/// Refusals: <see cref="RefusalKind.Denied"/> (code <c>invalid-credentials</c>) and
/// <see cref="RefusalKind.Throttled"/> (code <c>too-many-attempts</c>, <see cref="Refusal.Until"/> set).
/// </summary>
public sealed class SignInWorkflow
{
    public const string InvalidCredentials = "invalid-credentials";
    public const string TooManyAttempts = "too-many-attempts";

    private readonly OperatorStore _store;
    private readonly LoginThrottle _throttle;
    private readonly TimeProvider _time;
    private readonly SiteOptions _site;

    public SignInWorkflow(OperatorStore store, LoginThrottle throttle, TimeProvider time, SiteOptions site)
    {
        _site = site;
        _store = store;
        _throttle = throttle;
        _time = time;
    }

    /// <summary>The form of a sign-in: a name of at most 32 characters and a password of 1-256; returns the trimmed name.</summary>
    public static string? Validate(Validator v, string? username, string? password)
    {
        var name = v.Text("username", username, 32);
        if (string.IsNullOrEmpty(password))
        {
            v.Add("password", "is required", "required");
        }
        else if (password.Length > 256)
        {
            v.Add("password", "must be at most 256 characters", "too-long", 256);
        }

        return name;
    }

    /// <summary>Checks <paramref name="username"/> and <paramref name="password"/> from <paramref name="address"/> and hands out a login token.</summary>
    public async Task<Outcome<SignedIn>> SignInAsync(string username, string password, string address, CancellationToken cancellationToken)
    {
        if (_throttle.BlockedUntil(address) is { } blockedUntil)
        {
            return Throttled(blockedUntil, "too many failed logins from this address");
        }

        // A name locked at this address is refused before it could queue behind a slowed-down operator's line.
        if (_throttle.LockedUntil(username, address) is { } lockedUntil)
        {
            return Locked(lockedUntil);
        }

        LoginOutcome outcome;
        await using (var turn = await _throttle.EnterAsync(username, address, cancellationToken))
        {
            if (turn is null)
            {
                return Throttled(_time.GetUtcNow() + _throttle.SlowDown, "a login of this operator from this address is already in line: logins of this operator are slowed down after many failures");
            }

            outcome = await _store.LoginAsync(username, password, address, cancellationToken);
            if (outcome is not LoginOutcome.Success)
            {
                turn.Failed();
            }
        }

        return outcome switch
        {
            LoginOutcome.Success s => new SignedIn(s.Token, s.ExpiresUtc, s.Operator, s.PasswordChangeRequired, s.PasswordChangeReason),
            LoginOutcome.Locked l => Locked(l.UntilUtc),
            _ => new Refusal(RefusalKind.Denied, "unknown user name, wrong password, or a disabled operator") { Code = InvalidCredentials },
        };
    }

    /// <summary>
    /// Changes the operator's own password (the quarterly rotation, or the first sign-in's one-time
    /// password) and revokes the operator's other tokens. The limits of a login apply: a wrong current
    /// password is a failed login of this operator from <paramref name="address"/>. Refusals:
    /// <see cref="RefusalKind.Throttled"/>, <see cref="RefusalKind.InvalidState"/> (the bootstrap token),
    /// <see cref="RefusalKind.Invalid"/> on <c>currentPassword</c> (code <c>wrong-current-password</c>) or
    /// <c>newPassword</c> (code <c>password-rule</c>, the rule in the detail).
    /// </summary>
    public async Task<Outcome<DateTimeOffset>> ChangePasswordAsync(Actor actor, string currentPassword, string newPassword, string address, string presentedToken, CancellationToken cancellationToken)
    {
        if (_throttle.BlockedUntil(address) is { } blockedUntil)
        {
            return Throttled(blockedUntil, "too many failed logins from this address");
        }

        if (actor.OperatorId == BootstrapTokenAuthenticator.OperatorId)
        {
            return Refusal.InvalidState("the bootstrap token has no password to change", "bootstrap");
        }

        DateTimeOffset? expires;
        PasswordRefusal? refusal;
        await using (var turn = await _throttle.EnterAsync(actor.OperatorId, address, cancellationToken))
        {
            if (turn is null)
            {
                return Throttled(_time.GetUtcNow() + _throttle.SlowDown, "a password check of this operator from this address is already in line: checks of this operator are slowed down after many failures");
            }

            (expires, refusal) = await _store.ChangePasswordAsync(actor, currentPassword, newPassword, address, presentedToken, cancellationToken);
            if (refusal?.WrongCurrent == true)
            {
                turn.Failed();
            }
        }

        if (refusal?.LockedUntil is { } lockedUntil)
        {
            return Throttled(lockedUntil, $"this operator is locked for logins and password changes from this address until {UnitOfWork.Timestamp(lockedUntil)} after repeated failures");
        }

        if (refusal is not null)
        {
            return Refusal.Invalid(refusal.Field, refusal.Message) with { Code = refusal.WrongCurrent ? "wrong-current-password" : "password-rule" };
        }

        var initialPassword = Path.Combine(_site.DataFolder, SecurityStartup.InitialPasswordFileName);
        if (actor.OperatorId == "admin" && File.Exists(initialPassword))
        {
            // The one-time password is spent: its file has no further use.
            File.Delete(initialPassword);
        }

        return expires!.Value;
    }

    /// <summary>The form of a password change: both passwords given, at most 256 characters.</summary>
    public static void ValidateChange(Validator v, string? currentPassword, string? newPassword)
    {
        if (string.IsNullOrEmpty(currentPassword))
        {
            v.Add("currentPassword", "is required", "required");
        }
        else if (currentPassword.Length > 256)
        {
            v.Add("currentPassword", "must be at most 256 characters", "too-long", 256);
        }

        if (string.IsNullOrEmpty(newPassword))
        {
            v.Add("newPassword", "is required", "required");
        }
    }

    private static Refusal Locked(DateTimeOffset until) =>
        Throttled(until, $"this operator is locked for logins from this address until {UnitOfWork.Timestamp(until)} after repeated failures");

    private static Refusal Throttled(DateTimeOffset until, string detail) =>
        new(RefusalKind.Throttled, detail) { Code = TooManyAttempts, Until = until };
}
