namespace Gateway.Service.Console;

/// <summary>
/// One labelled input of a console form (rendered by the <c>_Field</c> partial): its label, value, error
/// beside it (tied with <c>aria-describedby</c>), a hint, and the input's type and autocomplete.
/// </summary>
public sealed record FieldView(string Name, string Label, string? Value, string? Error = null, string? Hint = null, string Type = "text", bool Required = false, string? Autocomplete = null, bool Autofocus = false, string? InputMode = null, int? MaxLength = null);
