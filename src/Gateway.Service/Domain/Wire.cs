using Gateway.Service.Domain.Cards;

namespace Gateway.Service.Domain;

/// <summary>The kebab-case names enums have on the wire and in storage (<c>in-stock</c>, <c>moved-out</c>).</summary>
public static class Wire
{
    public static string Name<T>(T value)
        where T : struct, Enum => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    public static bool TryParse<T>(string? text, out T value)
        where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(Name(candidate), text, StringComparison.Ordinal))
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }

    public static T Parse<T>(string text)
        where T : struct, Enum =>
        TryParse<T>(text, out var value) ? value : throw new FormatException($"'{text}' is not a {typeof(T).Name}");

    /// <summary>The wire names of every value of <typeparamref name="T"/>.</summary>
    public static IReadOnlyList<string> Names<T>()
        where T : struct, Enum => Enum.GetValues<T>().Select(Name).ToList();

    public static string Name(CardState state) => Name<CardState>(state);
}
