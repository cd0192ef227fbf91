namespace Gateway.Service.Storage;

/// <summary>
/// One page of a list. Lists are ordered by id ascending; <see cref="Next"/> is the <c>after</c> value
/// that fetches the following page, null on the last page. (Keyset pagination: stable while rows are
/// added, no offset scans.)
/// </summary>
public sealed record Page<T>(IReadOnlyList<T> Items, long? Next)
{
    /// <summary>The same page with each item mapped.</summary>
    public Page<TOther> Select<TOther>(Func<T, TOther> map) => new(Items.Select(map).ToList(), Next);
}

/// <summary>Which page of a list: at most <see cref="Limit"/> items with an id above <see cref="After"/>.</summary>
public readonly record struct PageRequest(int Limit, long After)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    /// <summary>Builds the page from up to <see cref="Limit"/> + 1 rows fetched after <see cref="After"/>.</summary>
    public Page<T> ToPage<T>(IReadOnlyList<T> rowsPlusOne, Func<T, long> id) =>
        rowsPlusOne.Count > Limit
            ? new Page<T>(rowsPlusOne.Take(Limit).ToList(), id(rowsPlusOne[Limit - 1]))
            : new Page<T>(rowsPlusOne, null);
}
