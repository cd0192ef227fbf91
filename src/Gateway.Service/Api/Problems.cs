using Gateway.Service.Domain;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Api;

/// <summary>
/// The stable <c>type</c> URIs of the API's RFC 9457 problem details (listed in docs/api.md). Clients
/// switch on these, never on <c>title</c> or <c>detail</c>. A type, once released, keeps its meaning.
/// </summary>
public static class ProblemTypes
{
    public const string Prefix = "urn:gateway:problem:";

    /// <summary>400: one or more fields are missing, out of range or malformed; <c>errors</c> maps field → messages.</summary>
    public const string ValidationFailed = Prefix + "validation-failed";

    /// <summary>400: the body is not JSON of the expected shape (wrong types, unknown fields, not JSON).</summary>
    public const string MalformedRequest = Prefix + "malformed-request";

    /// <summary>401: no bearer token, or a token nobody knows.</summary>
    public const string Unauthorized = Prefix + "unauthorized";

    /// <summary>403: the token is valid but its roles do not satisfy the endpoint's policy.</summary>
    public const string Forbidden = Prefix + "forbidden";

    /// <summary>404: the route or the named resource does not exist.</summary>
    public const string NotFound = Prefix + "not-found";

    /// <summary>405: the route exists but not with this method.</summary>
    public const string MethodNotAllowed = Prefix + "method-not-allowed";

    /// <summary>409: the resource's state does not allow this change (e.g. reporting a card in stock lost); <c>state</c> says what it is.</summary>
    public const string InvalidTransition = Prefix + "invalid-transition";

    /// <summary>409: the change would duplicate something unique (a card number already in stock, a UID on another card).</summary>
    public const string Conflict = Prefix + "conflict";

    /// <summary>400: the endpoint requires an <c>Idempotency-Key</c> header, or the one sent is not 1-128 printable ASCII characters.</summary>
    public const string IdempotencyKeyMissing = Prefix + "idempotency-key-missing";

    /// <summary>422: the same <c>Idempotency-Key</c> was used earlier on this route with a different request.</summary>
    public const string IdempotencyKeyReused = Prefix + "idempotency-key-reused";

    /// <summary>409: a request with this <c>Idempotency-Key</c> is still running; retry later.</summary>
    public const string IdempotencyInFlight = Prefix + "idempotency-in-flight";

    /// <summary>413: the request body is larger than the service accepts.</summary>
    public const string PayloadTooLarge = Prefix + "payload-too-large";

    /// <summary>415: the body must be <c>application/json</c>.</summary>
    public const string UnsupportedMediaType = Prefix + "unsupported-media-type";

    /// <summary>503: no card encoder is configured or its driver is not available in this build.</summary>
    public const string EncoderUnavailable = Prefix + "encoder-unavailable";

    /// <summary>502: the encoder was reached but the card could not be read or written (no card, torn away, not verifiable).</summary>
    public const string EncoderFailed = Prefix + "encoder-failed";

    /// <summary>500: an unexpected failure; the service log has the details under the request's trace id.</summary>
    public const string Internal = Prefix + "internal";

    /// <summary>The type for a bare status code (used when a framework component produces an empty error response).</summary>
    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => MalformedRequest,
        StatusCodes.Status401Unauthorized => Unauthorized,
        StatusCodes.Status403Forbidden => Forbidden,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status405MethodNotAllowed => MethodNotAllowed,
        StatusCodes.Status413PayloadTooLarge => PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType,
        _ => Internal,
    };
}

/// <summary>Builds problem results with a stable type. Endpoints return these; nothing is written before validation passes.</summary>
public static class ApiProblems
{
    public static IResult Problem(int status, string type, string title, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(new ProblemDetails
        {
            Status = status,
            Type = type,
            Title = title,
            Detail = detail,
        }.WithExtensions(extensions));

    /// <summary>400 validation-failed with <c>errors</c>: field name → messages.</summary>
    public static IResult Validation(IReadOnlyDictionary<string, string[]> errors) => TypedResults.Problem(new HttpValidationProblemDetails(errors.ToDictionary(e => e.Key, e => e.Value))
    {
        Status = StatusCodes.Status400BadRequest,
        Type = ProblemTypes.ValidationFailed,
        Title = "The request has invalid fields",
        Detail = string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")),
    });

    /// <summary>400 validation-failed for one field.</summary>
    public static IResult Validation(string field, string message) => Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static IResult NotFound(string what) => Problem(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not found", $"{what} does not exist");

    public static IResult Conflict(string detail) => Problem(StatusCodes.Status409Conflict, ProblemTypes.Conflict, "Conflict", detail);

    public static IResult InvalidTransition(string detail, string? state) => Problem(
        StatusCodes.Status409Conflict,
        ProblemTypes.InvalidTransition,
        "Not allowed in the current state",
        detail,
        new Dictionary<string, object?> { ["state"] = state });

    private static ProblemDetails WithExtensions(this ProblemDetails problem, IDictionary<string, object?>? extensions)
    {
        if (extensions is not null)
        {
            foreach (var (key, value) in extensions)
            {
                problem.Extensions[key] = value;
            }
        }

        return problem;
    }
}

/// <summary>
/// How the API answers a workflow's <see cref="Refusal"/>: one mapping from each kind to its status and
/// problem type. An endpoint maps the refusals whose type is its own (parking rules, the encoder) before
/// falling back to this.
/// </summary>
public static class RefusalProblems
{
    public static IResult ToProblem(this Refusal refusal) => refusal.Kind switch
    {
        RefusalKind.NotFound => ApiProblems.Problem(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not found", refusal.Detail),
        RefusalKind.Invalid => ApiProblems.Validation(refusal.Field ?? "body", refusal.Detail),
        RefusalKind.Conflict => ApiProblems.Conflict(refusal.Detail),
        RefusalKind.InvalidState => ApiProblems.InvalidTransition(refusal.Detail, refusal.State),
        RefusalKind.Rule => ApiProblems.Problem(StatusCodes.Status422UnprocessableEntity, ProblemTypes.Prefix + refusal.Code, "Refused by the rules", refusal.Detail, RuleMembers(refusal)),
        RefusalKind.Unavailable => ApiProblems.Problem(StatusCodes.Status503ServiceUnavailable, ProblemTypes.Prefix + (refusal.Code ?? "unavailable"), "Not available", refusal.Detail),
        RefusalKind.DeviceFailed => ApiProblems.Problem(StatusCodes.Status502BadGateway, ProblemTypes.Prefix + (refusal.Code ?? "device-failed"), "The device could not complete the operation", refusal.Detail),
        RefusalKind.Denied => ApiProblems.Problem(StatusCodes.Status401Unauthorized, ProblemTypes.Prefix + (refusal.Code ?? "unauthorized"), "Refused", refusal.Detail),
        RefusalKind.Forbidden => ApiProblems.Problem(StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "Not allowed for your roles", refusal.Detail),
        _ => ApiProblems.Problem(StatusCodes.Status429TooManyRequests, ProblemTypes.Prefix + (refusal.Code ?? "too-many-attempts"), "Too many attempts", refusal.Detail),
    };

    /// <summary>The members of a rule's problem: its code and the refusal's facts.</summary>
    public static Dictionary<string, object?> RuleMembers(Refusal refusal)
    {
        var members = new Dictionary<string, object?> { ["code"] = refusal.Code };
        foreach (var (name, value) in refusal.Facts ?? new Dictionary<string, object?>())
        {
            members[name] = value;
        }

        return members;
    }
}
