using Gateway.Service.Api;
using Gateway.Service.Audit;
using Gateway.Service.Hosting;
using Gateway.Service.Notifications;
using Gateway.Service.Storage;

namespace Gateway.Service.Operators;

/// <summary>
/// <c>/api/login</c>, <c>/api/logout</c>, <c>/api/me/password</c> (any operator) and <c>/api/operators</c>,
/// <c>/api/roles</c>, <c>/api/notifications</c> (admin). See docs/operators.md.
/// </summary>
public static class OperatorEndpoints
{
    public const string InvalidCredentialsType = ProblemTypes.Prefix + "invalid-credentials";
    public const string TooManyAttemptsType = ProblemTypes.Prefix + "too-many-attempts";

    /// <summary>Registers operators, the audit log, notifications and the start-up work (called by <c>AddGatewayApi</c>).</summary>
    public static void AddOperators(this IServiceCollection services)
    {
        services.AddSingleton(sp => new AuditKey(sp.GetRequiredService<GatewayOptions>().Security.AuditKeyFile));
        services.AddSingleton<AuditLog>();
        services.AddSingleton<IUnitOfWorkObserver>(sp => sp.GetRequiredService<AuditLog>());
        services.AddSingleton<NotificationOutbox>();
        services.AddSingleton<OperatorStore>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<IOperatorAuthenticator, OperatorTokenAuthenticator>();
        // No request logging on the notifications client: a webhook URL's query string may hold its key.
        services.AddHttpClient("notifications").RemoveAllLoggers();
        services.AddSingleton<INotificationSender>(sp =>
        {
            var options = sp.GetRequiredService<GatewayOptions>().Security.Notifications;
            return options.Transport switch
            {
                NotificationTransport.Smtp => new SmtpNotificationSender(options.Smtp!),
                NotificationTransport.Webhook => new WebhookNotificationSender(options.WebhookUrl!, sp.GetRequiredService<IHttpClientFactory>().CreateClient("notifications")),
                _ => new QueueOnlySender(),
            };
        });
        services.AddSingleton<NotificationDispatcher>();
        services.AddSingleton(sp => sp.GetRequiredService<GatewayOptions>().Site);
        services.AddSingleton<Backups.BackupWorkflow>();
        services.AddSingleton(sp => new Domain.Parking.SiteCalendar(sp.GetRequiredService<GatewayOptions>().SiteTimeZone));
        services.AddSingleton(sp => sp.GetRequiredService<GatewayOptions>().Inventory);
        services.AddSingleton<Inventory.InventoryWorkflow>();
        services.AddSingleton<IAuditHeadSource, Inventory.InventoryAuditHeads>();
        services.AddSingleton<AuditHeadRecorder>();
        services.AddSingleton<SecurityStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<SecurityStartup>());
        // After the audit key is loaded: the pass may purge tokens, which is audited.
        services.AddHostedService<SecurityHousekeeping>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
    }

    public static void MapOperatorEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/login", LoginAsync)
            .AllowAnonymous()
            .WithTags("Operators").WithName("Login").WithSummary("Exchange user name and password for a bearer token that expires");
        api.MapPost("/logout", LogoutAsync)
            .RequireAuthorization(GatewayPolicies.Authenticated)
            .WithTags("Operators").WithName("Logout").WithSummary("Revoke the presented token");
        api.MapPost("/me/password", ChangePasswordAsync)
            .RequireAuthorization(GatewayPolicies.Authenticated)
            .WithTags("Operators").WithName("ChangeOwnPassword").WithSummary("Change one's own password (the quarterly rotation); notifies the department head and finance");

        var operators = api.MapGroup("/operators").WithTags("Operators");
        operators.MapGet("/", ListAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("ListOperators").WithSummary("Every operator with roles and password state");
        operators.MapGet("/{id}", GetAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("GetOperator").WithSummary("One operator");
        operators.MapPost("/", CreateAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("CreateOperator").WithSummary("Create an operator with roles and a one-time password");
        operators.MapMethods("/{id}", ["PATCH"], UpdateAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithName("UpdateOperator").WithSummary("Change name, roles, disabled, or set a one-time password");
        api.MapGet("/roles", Roles)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithTags("Operators").WithName("ListRoles").WithSummary("The roles and what each may do");
        api.MapGet("/notifications", NotificationsAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithTags("Operators").WithName("ListNotifications").WithSummary("The notification outbox, newest first, with delivery state");
    }

    public sealed record LoginRequest(string? Username, string? Password);

    public sealed record LoginResponse(string Token, string TokenType, string ExpiresUtc, string OperatorId, IReadOnlyList<string> Roles, bool PasswordChangeRequired, string? PasswordChangeReason);

    public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

    public sealed record ChangePasswordResponse(string PasswordExpiresUtc);

    public sealed record CreateOperatorRequest(string? Username, string? DisplayName, IReadOnlyList<string>? Roles, string? Password);

    public sealed record UpdateOperatorRequest(string? DisplayName, IReadOnlyList<string>? Roles, bool? Disabled, string? Password);

    public sealed record RoleView(string Name, string May);

    private static async Task<IResult> LoginAsync(LoginRequest? body, OperatorStore store, LoginThrottle throttle, HttpContext context, CancellationToken cancellationToken)
    {
        var address = RemoteAddress(context);
        if (throttle.BlockedUntil(address) is { } blockedUntil)
        {
            return TooMany(context, blockedUntil, "too many failed logins from this address");
        }

        var v = new Validator();
        var username = v.Text("username", body?.Username, 32);
        var password = body?.Password;
        if (string.IsNullOrEmpty(password))
        {
            v.Add("password", "is required");
        }
        else if (password.Length > 256)
        {
            v.Add("password", "must be at most 256 characters");
        }

        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        // A name locked at this address is refused before it could queue behind a slowed-down operator's line.
        if (throttle.LockedUntil(username!, address) is { } lockedUntil)
        {
            return TooMany(context, lockedUntil, $"this operator is locked for logins from this address until {UnitOfWork.Timestamp(lockedUntil)} after repeated failures");
        }

        LoginOutcome outcome;
        await using (var turn = await throttle.EnterAsync(username!, address, cancellationToken))
        {
            if (turn is null)
            {
                return TooMany(context, context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow() + throttle.SlowDown, "a login of this operator from this address is already in line: logins of this operator are slowed down after many failures");
            }

            outcome = await store.LoginAsync(username!, password!, address, cancellationToken);
            if (outcome is not LoginOutcome.Success)
            {
                turn.Failed();
            }
        }

        switch (outcome)
        {
            case LoginOutcome.Success s:
                return TypedResults.Ok(new LoginResponse(s.Token, "Bearer", UnitOfWork.Timestamp(s.ExpiresUtc), s.Operator.Id, s.PasswordChangeRequired ? [] : s.Operator.Roles, s.PasswordChangeRequired, s.PasswordChangeReason));
            case LoginOutcome.Locked l:
                return TooMany(context, l.UntilUtc, $"this operator is locked for logins from this address until {UnitOfWork.Timestamp(l.UntilUtc)} after repeated failures");
            default:
                return ApiProblems.Problem(StatusCodes.Status401Unauthorized, InvalidCredentialsType, "Login refused", "unknown user name, wrong password, or a disabled operator");
        }
    }

    private static IResult TooMany(HttpContext context, DateTimeOffset until, string detail)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling((until - context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow()).TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ApiProblems.Problem(StatusCodes.Status429TooManyRequests, TooManyAttemptsType, "Too many failed logins", detail);
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, OperatorStore store, CancellationToken cancellationToken)
    {
        await store.LogoutAsync(context.User.ToActor(), PresentedToken(context), cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ChangePasswordAsync(ChangePasswordRequest? body, HttpContext context, OperatorStore store, LoginThrottle throttle, SecurityStartup startup, CancellationToken cancellationToken)
    {
        var actor = context.User.ToActor();
        var address = RemoteAddress(context);
        if (throttle.BlockedUntil(address) is { } blockedUntil)
        {
            return TooMany(context, blockedUntil, "too many failed logins from this address");
        }

        var v = new Validator();
        if (string.IsNullOrEmpty(body?.CurrentPassword))
        {
            v.Add("currentPassword", "is required");
        }
        else if (body.CurrentPassword.Length > 256)
        {
            v.Add("currentPassword", "must be at most 256 characters");
        }

        if (string.IsNullOrEmpty(body?.NewPassword))
        {
            v.Add("newPassword", "is required");
        }

        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        if (actor.OperatorId == BootstrapTokenAuthenticator.OperatorId)
        {
            return ApiProblems.InvalidTransition("the bootstrap token has no password to change", "bootstrap");
        }

        // The same limits as a login: a wrong current password is a failed login of this operator from this address.
        DateTimeOffset? expires;
        PasswordRefusal? refusal;
        await using (var turn = await throttle.EnterAsync(actor.OperatorId, address, cancellationToken))
        {
            if (turn is null)
            {
                return TooMany(context, context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow() + throttle.SlowDown, "a password check of this operator from this address is already in line: checks of this operator are slowed down after many failures");
            }

            (expires, refusal) = await store.ChangePasswordAsync(actor, body!.CurrentPassword!, body.NewPassword!, address, PresentedToken(context), cancellationToken);
            if (refusal?.WrongCurrent == true)
            {
                turn.Failed();
            }
        }

        if (refusal?.LockedUntil is { } lockedUntil)
        {
            return TooMany(context, lockedUntil, $"this operator is locked for logins and password changes from this address until {UnitOfWork.Timestamp(lockedUntil)} after repeated failures");
        }

        if (refusal is not null)
        {
            return ApiProblems.Validation(refusal.Field, refusal.Message);
        }

        if (actor.OperatorId == "admin" && File.Exists(startup.InitialPasswordPath))
        {
            // The one-time password is spent: its file has no further use.
            File.Delete(startup.InitialPasswordPath);
        }

        return TypedResults.Ok(new ChangePasswordResponse(UnitOfWork.Timestamp(expires!.Value)));
    }

    /// <summary>The remote address as the login limits see it (<see cref="LoginThrottle.AddressKey"/> groups IPv6 by /64).</summary>
    private static string RemoteAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>The bearer token of an authenticated request.</summary>
    private static string PresentedToken(HttpContext context) => context.Request.Headers.Authorization.ToString()["Bearer ".Length..].Trim();

    private static async Task<IResult> ListAsync(OperatorStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(new Page<OperatorView>(await store.ListAsync(cancellationToken), null));

    private static async Task<IResult> GetAsync(string id, OperatorStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } found ? TypedResults.Ok(found) : ApiProblems.NotFound($"operator '{id}'");

    private static async Task<IResult> CreateAsync(CreateOperatorRequest? body, HttpContext context, OperatorStore store, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var username = v.Pattern("username", body?.Username, OperatorStore.UsernamePattern(), "must be 2-32 characters: lower-case letters, digits, '.', '_', '-', starting with a letter or digit");
        if (username is not null && OperatorStore.ReservedIds.Contains(username))
        {
            v.Add("username", "is reserved");
        }

        var displayName = v.Text("displayName", body?.DisplayName, 100);
        var roles = CheckRoles(v, body?.Roles, required: true);
        CheckPassword(v, username ?? string.Empty, body?.Password, required: true);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var created = await store.CreateAsync(context.User.ToActor(), username!, displayName!, roles!, body!.Password!, cancellationToken);
        return created is null
            ? ApiProblems.Conflict($"operator '{username}' already exists")
            : TypedResults.Created($"/api/operators/{created.Id}", created);
    }

    private static async Task<IResult> UpdateAsync(string id, UpdateOperatorRequest? body, HttpContext context, OperatorStore store, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var displayName = v.Text("displayName", body?.DisplayName, 100, required: false);
        var roles = CheckRoles(v, body?.Roles, required: false);
        CheckPassword(v, id, body?.Password, required: false);
        if (body is null || (body.DisplayName is null && body.Roles is null && body.Disabled is null && body.Password is null))
        {
            v.Add("body", "name at least one of displayName, roles, disabled, password");
        }

        var actor = context.User.ToActor();
        if (actor.OperatorId == id && (body?.Disabled == true || (roles is not null && !roles.Contains(GatewayRoles.Admin))))
        {
            // An admin locking themselves out could leave the site without any admin.
            v.Add(body?.Disabled == true ? "disabled" : "roles", "an admin may not disable themselves or drop their own admin role");
        }

        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var updated = await store.UpdateAsync(actor, id, displayName, roles, body!.Disabled, body.Password, cancellationToken);
        return updated is null ? ApiProblems.NotFound($"operator '{id}'") : TypedResults.Ok(updated);
    }

    private static IResult Roles() => TypedResults.Ok(new Page<RoleView>(
        [
            new(GatewayRoles.FrontDesk, "holders; card stock and life; reading a card on the encoder; parking agreements create/end; payments record; acknowledge alarms; read everything operational"),
            new(GatewayRoles.ParkingAuthorizer, "grant periods, reverse payments, bank-debit import/export; read parking"),
            new(GatewayRoles.Finance, "inventory counts, variance explanations and sign-off; read inventory reports, payments and reports; read the audit log"),
            new(GatewayRoles.Admin, "operators and roles, keys, backups, audit verify; acknowledge alarms; read everything"),
        ],
        null));

    private static async Task<IResult> NotificationsAsync(NotificationOutbox outbox, int? limit, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var l = v.Range("limit", limit ?? 50, 1, PageRequest.MaxLimit);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        return TypedResults.Ok(new Page<Notification>(await outbox.ListAsync((int)l!.Value, cancellationToken), null));
    }

    private static List<string>? CheckRoles(Validator v, IReadOnlyList<string>? roles, bool required)
    {
        if (roles is null)
        {
            if (required)
            {
                v.Add("roles", "is required");
            }

            return null;
        }

        if (roles.Count == 0 || roles.Any(r => !GatewayRoles.All.Contains(r)))
        {
            v.Add("roles", $"must be one or more of: {string.Join(", ", GatewayRoles.All)}");
            return null;
        }

        return roles.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    private static void CheckPassword(Validator v, string username, string? password, bool required)
    {
        if (password is null)
        {
            if (required)
            {
                v.Add("password", "is required");
            }

            return;
        }

        if (OperatorStore.CheckPasswordRule(username, password) is { } rule)
        {
            v.Add("password", rule);
        }
    }

    /// <summary>The sender when no transport is configured: it never succeeds, so notices wait (never dropped).</summary>
    private sealed class QueueOnlySender : INotificationSender
    {
        public Task SendAsync(Notification notification, CancellationToken cancellationToken) =>
            throw new NotificationDeliveryException("no transport configured (Gateway:Notifications:Transport is none)");
    }
}
