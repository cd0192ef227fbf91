using System.Text.RegularExpressions;
using Gateway.Service.Storage;

namespace Gateway.Service.Api;

/// <summary>
/// One field error: the API's English <see cref="Message"/>, and a stable <see cref="Code"/> with its
/// <see cref="Args"/> from which the console writes the same error in the operator's language.
/// </summary>
public sealed record FieldError(string Field, string Message, string Code, IReadOnlyList<object> Args);

/// <summary>
/// Collects field errors of one request. Endpoints validate everything first and return
/// <see cref="ApiProblems.Validation(IReadOnlyDictionary{string, string[]})"/> before touching storage.
/// Request DTOs use nullable properties so that a missing field is reported by name, not as a default value.
/// </summary>
public sealed class Validator
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);
    private readonly List<FieldError> _list = [];

    public bool IsValid => _errors.Count == 0;

    /// <summary>Every error in the order found, with its code (the console's messages are keyed by it).</summary>
    public IReadOnlyList<FieldError> Errors => _list;

    /// <summary>Adds an error; <paramref name="code"/> names the rule broken (default <c>invalid</c>) and <paramref name="args"/> its figures.</summary>
    public void Add(string field, string message, string code = "invalid", params object[] args)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(message);
        _list.Add(new FieldError(field, message, code, args));
    }

    /// <summary>A required text of 1..max characters after trimming; returns the trimmed value or null.</summary>
    public string? Text(string field, string? value, int maxLength, bool required = true)
    {
        if (value is null || value.Trim().Length == 0)
        {
            if (required)
            {
                Add(field, "is required", "required");
            }

            return null;
        }

        var trimmed = value.Trim();
        if (trimmed.Length > maxLength)
        {
            Add(field, $"must be at most {maxLength} characters", "too-long", maxLength);
            return null;
        }

        if (trimmed.Any(char.IsControl))
        {
            Add(field, "must not contain control characters", "control-characters");
            return null;
        }

        return trimmed;
    }

    /// <summary>A text that must match <paramref name="pattern"/>; <paramref name="rule"/> says what is expected, <paramref name="code"/> names it.</summary>
    public string? Pattern(string field, string? value, Regex pattern, string rule, bool required = true, string code = "format")
    {
        var text = Text(field, value, 200, required);
        if (text is not null && !pattern.IsMatch(text))
        {
            Add(field, rule, code);
            return null;
        }

        return text;
    }

    /// <summary>A required whole number in [min, max].</summary>
    public long? Range(string field, long? value, long min, long max, bool required = true)
    {
        if (value is null)
        {
            if (required)
            {
                Add(field, "is required", "required");
            }

            return null;
        }

        if (value < min || value > max)
        {
            Add(field, $"must be from {min} to {max}", "range", min, max);
            return null;
        }

        return value;
    }

    /// <summary>A required value from a fixed set of names (compared exactly).</summary>
    public string? OneOf(string field, string? value, IReadOnlyCollection<string> allowed, bool required = true)
    {
        if (value is null)
        {
            if (required)
            {
                Add(field, "is required", "required");
            }

            return null;
        }

        if (!allowed.Contains(value))
        {
            Add(field, $"must be one of: {string.Join(", ", allowed)}", "one-of");
            return null;
        }

        return value;
    }

    /// <summary>The <c>?limit=&amp;after=</c> query convention shared by every list endpoint; defaults: limit 50, from the start.</summary>
    public PageRequest Page(int? limit, long? after)
    {
        var l = Range("limit", limit ?? PageRequest.DefaultLimit, 1, PageRequest.MaxLimit) ?? PageRequest.DefaultLimit;
        var a = Range("after", after ?? 0, 0, long.MaxValue) ?? 0;
        return new PageRequest((int)l, a);
    }

    public IResult ToProblem() => ApiProblems.Validation(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
}
