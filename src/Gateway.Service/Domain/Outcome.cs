using System.Diagnostics.CodeAnalysis;

namespace Gateway.Service.Domain;

/// <summary>
/// Why a rule or a workflow did not do what it was asked. Each kind has one meaning for every caller:
/// the HTTP API maps it to a status and a problem type, the console to a message beside the form.
/// </summary>
public enum RefusalKind
{
    /// <summary>The thing named does not exist (HTTP 404 not-found).</summary>
    NotFound,

    /// <summary>An input is wrong in a way only the stored facts show, e.g. a holder id nobody has; <see cref="Refusal.Field"/> names it (400 validation-failed).</summary>
    Invalid,

    /// <summary>The change would duplicate something unique or collide with work in progress (409 conflict).</summary>
    Conflict,

    /// <summary>The thing's state does not allow the change; <see cref="Refusal.State"/> says what it is (409 invalid-transition).</summary>
    InvalidState,

    /// <summary>A business rule refuses a well-formed request; <see cref="Refusal.Code"/> names the rule (422).</summary>
    Rule,

    /// <summary>A device or service the change needs cannot be used at all: nothing was touched (503).</summary>
    Unavailable,

    /// <summary>A device was reached but the operation on it failed; it may be resumed (502).</summary>
    DeviceFailed,

    /// <summary>The caller could not be identified: wrong name or password (401).</summary>
    Denied,

    /// <summary>Too many attempts: refused until <see cref="Refusal.Until"/> (429).</summary>
    Throttled,

    /// <summary>The caller is known, but their roles do not allow this (403 forbidden).</summary>
    Forbidden,
}

/// <summary>
/// A refusal: its kind, a sentence for people, and the facts a caller may need (which field, which
/// state, which rule, what blocks, until when). Nothing was written when a workflow returns one.
/// </summary>
/// <param name="Kind">What kind of refusal.</param>
/// <param name="Detail">For people: what was refused and why.</param>
public sealed record Refusal(RefusalKind Kind, string Detail)
{
    /// <summary>The input at fault (<see cref="RefusalKind.Invalid"/>), as the request names it.</summary>
    public string? Field { get; init; }

    /// <summary>The state that refused the change (<see cref="RefusalKind.InvalidState"/>), in its wire name.</summary>
    public string? State { get; init; }

    /// <summary>A stable code for the rule or the case, when a caller must tell cases of one kind apart.</summary>
    public string? Code { get; init; }

    /// <summary>What blocks the change, one item a line (e.g. the inventory lines not yet explained).</summary>
    public IReadOnlyList<string>? Blocking { get; init; }

    /// <summary>When a <see cref="RefusalKind.Throttled"/> caller may try again.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>More facts for callers, by name (the API adds them to the problem), e.g. the amounts a rule would accept.</summary>
    public IReadOnlyDictionary<string, object?>? Facts { get; init; }

    public static Refusal NotFound(string what) => new(RefusalKind.NotFound, $"{what} does not exist");

    public static Refusal Invalid(string field, string detail) => new(RefusalKind.Invalid, detail) { Field = field };

    public static Refusal Conflict(string detail, string? code = null) => new(RefusalKind.Conflict, detail) { Code = code };

    public static Refusal InvalidState(string detail, string state) => new(RefusalKind.InvalidState, detail) { State = state };

    public static Refusal Rule(string code, string detail) => new(RefusalKind.Rule, detail) { Code = code };

    public static Refusal Unavailable(string detail) => new(RefusalKind.Unavailable, detail);

    public static Refusal DeviceFailed(string detail) => new(RefusalKind.DeviceFailed, detail);
}

/// <summary>
/// The one outcome convention of Gateway's rules and workflows: a value, or the <see cref="Refusal"/>
/// that explains why there is none. Return a value or a refusal and it converts implicitly; read it with
/// <see cref="TryGetValue"/>.
/// </summary>
/// <typeparam name="T">What a success carries.</typeparam>
public sealed class Outcome<T>
{
    private readonly T? _value;

    private Outcome(T? value, Refusal? refusal)
    {
        _value = value;
        Refusal = refusal;
    }

    /// <summary>Why there is no value; null on success.</summary>
    public Refusal? Refusal { get; }

    /// <summary>True when the outcome carries a value.</summary>
    [MemberNotNullWhen(false, nameof(Refusal))]
    public bool Succeeded => Refusal is null;

    /// <summary>The value; throws on a refusal (read <see cref="Succeeded"/> or use <see cref="TryGetValue"/> first).</summary>
    public T Value => Refusal is null ? _value! : throw new InvalidOperationException($"the outcome is a refusal: {Refusal.Detail}");

    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(Refusal refusal) => new(default, refusal ?? throw new ArgumentNullException(nameof(refusal)));

    public static Outcome<T> Success(T value) => new(value, null);

    public static Outcome<T> Refused(Refusal refusal) => refusal;

    /// <summary>The value (true), or the refusal (false).</summary>
    public bool TryGetValue([MaybeNullWhen(false)] out T value, [NotNullWhen(false)] out Refusal? refusal)
    {
        value = _value;
        refusal = Refusal;
        return refusal is null;
    }

    /// <summary>The same refusal as an outcome of another type (a refusal passes through a workflow unchanged).</summary>
    public Outcome<TOther> Forward<TOther>() => Refusal ?? throw new InvalidOperationException("a successful outcome has no refusal to forward");

    public override string ToString() => Refusal is null ? $"success: {_value}" : $"{Refusal.Kind}: {Refusal.Detail}";
}
