namespace Gateway.Service.Api;

/// <summary>
/// One page of a list. Lists are ordered by id ascending; <see cref="Next"/> is the <c>after</c> value
/// that fetches the following page, null on the last page. (Keyset pagination: stable while rows are
/// added, no offset scans.)
/// </summary>
public sealed record Page<T>(IReadOnlyList<T> Items, long? Next);

/// <summary>The <c>?limit=&amp;after=</c> query convention shared by every list endpoint.</summary>
public readonly record struct PageRequest(int Limit, long After)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    /// <summary>Validates the raw query values into <paramref name="validator"/>; defaults: limit 50, from the start.</summary>
    public static PageRequest From(Validator validator, int? limit, long? after)
    {
        var l = validator.Range("limit", limit ?? DefaultLimit, 1, MaxLimit) ?? DefaultLimit;
        var a = validator.Range("after", after ?? 0, 0, long.MaxValue) ?? 0;
        return new PageRequest((int)l, a);
    }

    /// <summary>Builds the page from up to <see cref="Limit"/> + 1 rows fetched after <see cref="After"/>.</summary>
    public Page<T> ToPage<T>(IReadOnlyList<T> rowsPlusOne, Func<T, long> id) =>
        rowsPlusOne.Count > Limit
            ? new Page<T>(rowsPlusOne.Take(Limit).ToList(), id(rowsPlusOne[Limit - 1]))
            : new Page<T>(rowsPlusOne, null);
}
