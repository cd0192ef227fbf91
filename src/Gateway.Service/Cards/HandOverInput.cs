using Gateway.Service.Api;
using Gateway.Service.Domain.Cards;

namespace Gateway.Service.Cards;

/// <summary>
/// The rules of a hand-over (the items given with a card and the signed receipt's reference), shared by
/// the API and the console so that both refuse the same input.
/// </summary>
public static class HandOverInput
{
    /// <summary>Longest receipt reference.</summary>
    public const int MaxReceiptReference = 64;

    /// <summary>Checks the items and receipt reference; null (with the errors in <paramref name="v"/>) when they do not hold.</summary>
    public static HandOver? Validate(Validator v, IReadOnlyList<string>? items, string? receiptReference, string prefix = "handOver.")
    {
        var receipt = v.Text(prefix + "receiptReference", receiptReference, MaxReceiptReference);
        if (items is null || items.Count == 0)
        {
            v.Add(prefix + "items", $"is required: a list of {string.Join(", ", HandOver.KnownItems)}", "hand-over-items");
            return null;
        }

        var unknown = items.Where(i => !HandOver.KnownItems.Contains(i)).ToList();
        if (unknown.Count > 0)
        {
            v.Add(prefix + "items", $"unknown item(s) {string.Join(", ", unknown.Take(5))}; known: {string.Join(", ", HandOver.KnownItems)}", "hand-over-unknown-item");
        }
        else if (items.Distinct().Count() != items.Count)
        {
            v.Add(prefix + "items", "lists an item twice", "hand-over-twice");
        }
        else if (!items.Contains("card"))
        {
            v.Add(prefix + "items", "must include the card", "hand-over-card");
        }

        return receipt is null || !v.IsValid ? null : new HandOver(items.ToList(), receipt);
    }
}
