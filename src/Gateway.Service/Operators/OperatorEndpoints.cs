using Gateway.Service.Api;
using Gateway.Service.Audit;
using Gateway.Service.Domain;
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

    private static async Task<IResult> LoginAsync(LoginRequest? body, SignInWorkflow signIn, HttpContext context, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var username = SignInWorkflow.Validate(v, body?.Username, body?.Password);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var outcome = await signIn.SignInAsync(username!, body!.Password!, RemoteAddress(context), cancellationToken);
        if (!outcome.TryGetValue(out var s, out var refusal))
        {
            return refusal.Kind == RefusalKind.Throttled
                ? TooMany(context, refusal.Until!.Value, refusal.Detail)
                : ApiProblems.Problem(StatusCodes.Status401Unauthorized, InvalidCredentialsType, "Login refused", refusal.Detail);
        }

        return TypedResults.Ok(new LoginResponse(s.Token, "Bearer", UnitOfWork.Timestamp(s.ExpiresUtc), s.Operator.Id, s.PasswordChangeRequired ? [] : s.Operator.Roles, s.PasswordChangeRequired, s.PasswordChangeReason));
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

    private static async Task<IResult> ChangePasswordAsync(ChangePasswordRequest? body, HttpContext context, SignInWorkflow signIn, CancellationToken cancellationToken)
    {
        var v = new Validator();
        SignInWorkflow.ValidateChange(v, body?.CurrentPassword, body?.NewPassword);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var outcome = await signIn.ChangePasswordAsync(context.User.ToActor(), body!.CurrentPassword!, body.NewPassword!, RemoteAddress(context), PresentedToken(context), cancellationToken);
        if (!outcome.TryGetValue(out var expires, out var refusal))
        {
            return refusal.Kind == RefusalKind.Throttled ? TooMany(context, refusal.Until!.Value, refusal.Detail) : refusal.ToProblem();
        }

        return TypedResults.Ok(new ChangePasswordResponse(UnitOfWork.Timestamp(expires)));
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
        var (username, displayName, roles) = OperatorInput.ValidateNew(v, body?.Username, body?.DisplayName, body?.Roles, body?.Password);
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
        var roles = OperatorInput.Roles(v, body?.Roles, required: false);
        OperatorInput.Password(v, id, body?.Password, required: false);
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
}
