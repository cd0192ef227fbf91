using Gateway.Service.Cards;
using Gateway.Service.Domain;

namespace Gateway.Service.Console;

/// <summary>Why the card on the encoder is being looked at: to issue a blank card, or to find out whose card it is.</summary>
public enum EncoderPurpose
{
    Issue,
    Identify,
}

/// <summary>
/// The live state of the card on the encoder as the desk needs it (no card, a blank, another site's card,
/// two cards, a card of this site), with a tone (<c>good</c>, <c>warn</c>, <c>bad</c>) and what to do next.
/// Built from <see cref="CardWorkflow.ReadOnEncoderAsync"/>, the same reading as <c>GET /api/encoders/{id}/card</c>.
/// </summary>
public sealed record EncoderStateView(string Status, string Tone, string Headline, string? Detail, CardView? Card)
{
    /// <summary>Reads the card on <paramref name="encoder"/> (the only one configured when null) for <paramref name="purpose"/>.</summary>
    public static async Task<EncoderStateView> ReadAsync(CardWorkflow cards, string? encoder, EncoderPurpose purpose, ConsoleText text, CancellationToken cancellationToken)
    {
        if (!cards.ChooseEncoder(encoder).TryGetValue(out var id, out var refusal))
        {
            return From(refusal, purpose, text);
        }

        return From(await cards.ReadOnEncoderAsync(id, cancellationToken), purpose, text);
    }

    public static EncoderStateView From(Outcome<CardPresented> outcome, EncoderPurpose purpose, ConsoleText text)
    {
        if (!outcome.TryGetValue(out var presented, out var refusal))
        {
            return new EncoderStateView("unavailable", "bad", text.Refusal(refusal), refusal.Detail, null);
        }

        var card = presented.Card;
        var number = card?.Card.Number;
        var tone = (presented.Status, purpose) switch
        {
            ("blank", EncoderPurpose.Issue) => "good",
            ("valid", EncoderPurpose.Identify) => "good",
            ("no-card", _) => "warn",
            ("blank", EncoderPurpose.Identify) => "warn",
            ("not-issued", EncoderPurpose.Identify) => "warn",
            _ => "bad",
        };
        var key = $"encoder.{(purpose == EncoderPurpose.Issue ? "issue" : "identify")}.{presented.Status}";
        var fallback = $"encoder.any.{presented.Status}";
        var headline = ConsoleText.Resources.GetString(key, System.Globalization.CultureInfo.CurrentUICulture) is not null
            ? text.Format(key, number, card?.Holder?.Name, card?.Holder?.Address.ToString())
            : text.Format(fallback, number, card?.Holder?.Name, card?.Holder?.Address.ToString());
        return new EncoderStateView(presented.Status, tone, headline, presented.Valid ? null : presented.Reason, card);
    }
}
