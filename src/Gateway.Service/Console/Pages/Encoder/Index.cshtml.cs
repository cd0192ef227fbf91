using Gateway.Service.Api;
using Gateway.Service.Cards;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages.Encoder;

/// <summary>"Who is this card?": the card lying on the encoder, whose it is and whether it is valid (as <c>GET /api/encoders/{id}/card</c>).</summary>
[Authorize(Policy = GatewayPolicies.FrontDesk)]
public sealed class IndexModel : ConsolePage
{
    private readonly CardWorkflow _cards;

    public IndexModel(CardWorkflow cards)
    {
        _cards = cards;
    }

    public IReadOnlyList<string> Encoders => _cards.Encoders;

    public string? Encoder { get; private set; }

    public EncoderStateView State { get; private set; } = null!;

    public async Task OnGetAsync(string? encoder, CancellationToken cancellationToken)
    {
        Encoder = encoder ?? (Encoders.Count > 0 ? Encoders[0] : null);
        State = await EncoderStateView.ReadAsync(_cards, Encoder, EncoderPurpose.Identify, Text, cancellationToken);
    }
}
