using Gateway.Service.Domain.Cards;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Holders;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Cards;

/// <summary>A card as every caller shows it: with its holder and, for a temporary card, where it stands at <c>now</c>.</summary>
internal static class CardViews
{
    /// <summary>The view of <paramref name="card"/>; <paramref name="holders"/> caches holders across a page.</summary>
    public static async Task<CardView> ViewAsync(SqliteConnection connection, SqliteTransaction? transaction, CardRecord card, Dictionary<long, Holder?> holders, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Holder? holder = null;
        if (card.HolderId is { } id && !holders.TryGetValue(id, out holder))
        {
            holders[id] = holder = await HolderStore.GetAsync(connection, transaction, id, cancellationToken);
        }

        var standing = card.Temporary is { } terms ? new TemporaryStanding(TemporaryCards.StatusOf(card.State, terms.Window, now), TemporaryCards.DaysLeft(terms.Window, now)) : null;
        return new CardView(card, holder, standing);
    }
}
