using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Gateway.Service.Site;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Gateway.Service.Api;

/// <summary>The roles of DESIGN.md's role matrix, as they appear in role claims.</summary>
public static class GatewayRoles
{
    public const string FrontDesk = "front-desk";
    public const string ParkingAuthorizer = "parking-authorizer";
    public const string Finance = "finance";
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [FrontDesk, ParkingAuthorizer, Finance, Admin];
}

/// <summary>
/// Authorization policies. Every endpoint names one with <c>RequireAuthorization(GatewayPolicies.X)</c>.
/// The four change policies are the roles themselves; the read policies say who may read what.
/// </summary>
public static class GatewayPolicies
{
    /// <summary>Holders, card stock and life, agreements create/end, payments record, encoder reads.</summary>
    public const string FrontDesk = "front-desk";

    /// <summary>Grant periods, reverse payments, bank-debit import and export.</summary>
    public const string ParkingAuthorizer = "parking-authorizer";

    /// <summary>Inventory counts, variance explanations, sign-off.</summary>
    public const string Finance = "finance";

    /// <summary>Operators and roles, keys, backups, audit verify.</summary>
    public const string Admin = "admin";

    /// <summary>Read holders, cards, zones: front-desk, admin.</summary>
    public const string ReadOperational = "read-operational";

    /// <summary>Read parking agreements and periods: front-desk, parking-authorizer, admin.</summary>
    public const string ReadParking = "read-parking";

    /// <summary>Read payments and reports: front-desk, parking-authorizer, finance, admin.</summary>
    public const string ReadPayments = "read-payments";

    /// <summary>Read the audit log: finance, admin.</summary>
    public const string ReadAudit = "read-audit";

    /// <summary>Read inventory months and reports (they list cards' UIDs): finance, admin.</summary>
    public const string ReadInventory = "read-inventory";

    /// <summary>Acknowledge alarms and open a gate lane (writes at the desk): front-desk, admin.</summary>
    public const string AlarmsAndGates = "alarms-and-gates";

    /// <summary>The cash and shift report: finance and admin every operator's, a front-desk clerk their own shift's.</summary>
    public const string CashReports = "cash-reports";

    /// <summary>Any authenticated operator (e.g. who am I).</summary>
    public const string Authenticated = "authenticated";

    internal static void Register(Microsoft.AspNetCore.Authorization.AuthorizationOptions options)
    {
        options.AddPolicy(FrontDesk, p => p.RequireRole(GatewayRoles.FrontDesk));
        options.AddPolicy(ParkingAuthorizer, p => p.RequireRole(GatewayRoles.ParkingAuthorizer));
        options.AddPolicy(Finance, p => p.RequireRole(GatewayRoles.Finance));
        options.AddPolicy(Admin, p => p.RequireRole(GatewayRoles.Admin));
        options.AddPolicy(ReadOperational, p => p.RequireRole(GatewayRoles.FrontDesk, GatewayRoles.Admin));
        options.AddPolicy(ReadParking, p => p.RequireRole(GatewayRoles.FrontDesk, GatewayRoles.ParkingAuthorizer, GatewayRoles.Admin));
        options.AddPolicy(ReadPayments, p => p.RequireRole(GatewayRoles.FrontDesk, GatewayRoles.ParkingAuthorizer, GatewayRoles.Finance, GatewayRoles.Admin));
        options.AddPolicy(ReadAudit, p => p.RequireRole(GatewayRoles.Finance, GatewayRoles.Admin));
        options.AddPolicy(ReadInventory, p => p.RequireRole(GatewayRoles.Finance, GatewayRoles.Admin));
        options.AddPolicy(AlarmsAndGates, p => p.RequireRole(GatewayRoles.FrontDesk, GatewayRoles.Admin));
        options.AddPolicy(CashReports, p => p.RequireRole(GatewayRoles.FrontDesk, GatewayRoles.Finance, GatewayRoles.Admin));
        options.AddPolicy(Authenticated, p => p.RequireAuthenticatedUser());
        // An endpoint that forgets to name a policy is still closed to anonymous callers.
        options.FallbackPolicy = options.GetPolicy(Authenticated);
    }
}

/// <summary>An authenticated operator: id, display name and roles.</summary>
public sealed record OperatorIdentity(string OperatorId, string DisplayName, IReadOnlyList<string> Roles);

/// <summary>
/// Turns a bearer token into an operator, or null when this authenticator does not know it. Several
/// may be registered; they are asked in registration order. The operators issue adds one backed by
/// its operator table; <see cref="BootstrapTokenAuthenticator"/> is the one until then.
/// </summary>
public interface IOperatorAuthenticator
{
    ValueTask<OperatorIdentity?> AuthenticateAsync(string token, CancellationToken cancellationToken);
}

/// <summary>
/// The bootstrap admin token from <c>Gateway:BootstrapToken</c>: it holds every role, so it satisfies
/// every policy, until it is retired — once an admin operator has set their own password
/// (<see cref="Operators.BootstrapRetirement"/>); then it knows no token, and
/// <see cref="RetiredAsync"/> tells the bearer handler why the token is refused. Unset, it knows no
/// token. Compared in constant time; never logged.
/// </summary>
public sealed class BootstrapTokenAuthenticator : IOperatorAuthenticator
{
    public const string OperatorId = "bootstrap-admin";

    /// <summary>Shortest bootstrap token accepted: a guessable token would open every policy.</summary>
    public const int MinimumTokenLength = 32;

    private readonly byte[]? _expected;
    private readonly Operators.BootstrapRetirement _retirement;

    /// <param name="token">The configured token, or null: then this authenticator knows no token.</param>
    /// <param name="retirement">Whether an admin operator has retired the token by setting their own password.</param>
    public BootstrapTokenAuthenticator(Secret? token, Operators.BootstrapRetirement retirement)
    {
        _expected = token is { } secret ? SHA256.HashData(Encoding.UTF8.GetBytes(secret.Reveal())) : null;
        _retirement = retirement;
    }

    /// <summary>Whether <c>Gateway:BootstrapToken</c> is set (retired or not).</summary>
    public bool IsConfigured => _expected is not null;

    /// <summary>Reads <c>Gateway:BootstrapToken</c>: unset, or 32-512 printable ASCII characters. The error never echoes the value.</summary>
    public static bool TryLoad(IConfigurationSection gateway, out Secret? token, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        token = null;
        error = null;
        var text = gateway["BootstrapToken"];
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        // Never echo the value: the message names the key and the rule only.
        if (text.Length < MinimumTokenLength || text.Length > 512 || text.Any(c => c <= ' ' || c > '~'))
        {
            error = SiteOptions.Key("BootstrapToken", $"must be {MinimumTokenLength}-512 printable ASCII characters without spaces (e.g. the output of `openssl rand -hex 32`)");
            return false;
        }

        token = new Secret(text);
        return true;
    }

    public async ValueTask<OperatorIdentity?> AuthenticateAsync(string token, CancellationToken cancellationToken) =>
        IsBootstrapToken(token) && await _retirement.RetiredAsync(cancellationToken) is null
            ? new OperatorIdentity(OperatorId, "Bootstrap admin", GatewayRoles.All)
            : null;

    /// <summary>The retirement when <paramref name="token"/> is the configured bootstrap token and it is retired; else null.</summary>
    public async ValueTask<Operators.BootstrapRetired?> RetiredAsync(string token, CancellationToken cancellationToken) =>
        IsBootstrapToken(token) ? await _retirement.RetiredAsync(cancellationToken) : null;

    private bool IsBootstrapToken(string token)
    {
        if (_expected is null)
        {
            return false;
        }

        // Hashing first makes the comparison constant-time regardless of the presented token's length.
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        return CryptographicOperations.FixedTimeEquals(presented, _expected);
    }
}

/// <summary>The <c>Authorization: Bearer</c> scheme; challenges and refusals answer with problem details.</summary>
public sealed class BearerTokenHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    public const string SchemeName = "Bearer";

    /// <summary>401 for the bootstrap token once an admin operator has set their own password.</summary>
    public const string BootstrapTokenRetiredType = ProblemTypes.Prefix + "bootstrap-token-retired";

    private static readonly object RetiredKey = new();
    private readonly IEnumerable<IOperatorAuthenticator> _authenticators;
    private readonly BootstrapTokenAuthenticator _bootstrap;
    private readonly RejectedTokenLog _rejected;

    public BearerTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IEnumerable<IOperatorAuthenticator> authenticators, BootstrapTokenAuthenticator bootstrap, RejectedTokenLog rejected)
        : base(options, logger, encoder)
    {
        _authenticators = authenticators;
        _bootstrap = bootstrap;
        _rejected = rejected;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length > 1024)
        {
            return AuthenticateResult.Fail("the Authorization header is not 'Bearer <token>'");
        }

        var token = header["Bearer ".Length..].Trim();
        foreach (var authenticator in _authenticators)
        {
            if (await authenticator.AuthenticateAsync(token, Context.RequestAborted) is { } identity)
            {
                var claims = new List<Claim>
                {
                    new(ClaimTypes.NameIdentifier, identity.OperatorId),
                    new(ClaimTypes.Name, identity.DisplayName),
                };
                claims.AddRange(identity.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
                var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
                return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
            }
        }

        if (await _bootstrap.RetiredAsync(token, Context.RequestAborted) is { } retired)
        {
            Context.Items[RetiredKey] = retired;
            _rejected.Log(Logger, Context.Connection.RemoteIpAddress, Request.Path.Value, "the retired bootstrap token");
            return AuthenticateResult.Fail("the bootstrap token is retired");
        }

        _rejected.Log(Logger, Context.Connection.RemoteIpAddress, Request.Path.Value);
        return AuthenticateResult.Fail("unknown token");
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        if (Context.Items[RetiredKey] is Operators.BootstrapRetired retired)
        {
            await ApiProblems.Problem(
                StatusCodes.Status401Unauthorized,
                BootstrapTokenRetiredType,
                "The bootstrap token is retired",
                $"the bootstrap token (Gateway:BootstrapToken) was retired at {Storage.UnitOfWork.Timestamp(retired.AtUtc)} when admin operator '{retired.OperatorId}' set their own password: log in as an operator (gatewayctl login --user NAME) and remove Gateway:BootstrapToken from the configuration").ExecuteAsync(Context);
            return;
        }

        await ApiProblems.Problem(
            StatusCodes.Status401Unauthorized,
            ProblemTypes.Unauthorized,
            "Authentication required",
            "send 'Authorization: Bearer <token>' with a valid operator token").ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        await ApiProblems.Problem(
            StatusCodes.Status403Forbidden,
            ProblemTypes.Forbidden,
            "Not allowed for your roles",
            "the operator's roles do not satisfy this endpoint's policy").ExecuteAsync(Context);
    }
}

/// <summary>Reads the operator from an authenticated request.</summary>
public static class OperatorClaims
{
    public static Actor ToActor(this ClaimsPrincipal user) => new(
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("the request is not authenticated"),
        user.FindFirstValue(ClaimTypes.Name) ?? string.Empty);
}

/// <summary>
/// Logs rejected bearer tokens at a bounded rate: at most <see cref="PerMinute"/> lines a minute, the
/// first line after a flood saying how many were left out. The token itself is never logged.
/// </summary>
public sealed class RejectedTokenLog(TimeProvider time)
{
    public const int PerMinute = 10;

    private readonly LogRateLimit _limit = new(PerMinute, TimeSpan.FromMinutes(1), time);

    public void Log(ILogger logger, System.Net.IPAddress? remoteAddress, string? path, string what = "a bearer token")
    {
        if (!_limit.TryEnter(out var suppressed))
        {
            return;
        }

        if (suppressed == 0)
        {
            logger.LogWarning("Rejected {What:l} from {RemoteAddress} on {Path}", what, remoteAddress, path);
        }
        else
        {
            logger.LogWarning("Rejected {What:l} from {RemoteAddress} on {Path}; {Suppressed} more rejected tokens were not logged before this one (at most {PerMinute} such lines a minute)", what, remoteAddress, path, suppressed, PerMinute);
        }
    }
}
