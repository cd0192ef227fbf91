using Gateway.Service.Api;
using Gateway.Service.Cards;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages.Encoder;

/// <summary>The card on the encoder now, as a fragment the move-in, replacement and "who is this" pages refresh every two seconds.</summary>
[Authorize(Policy = GatewayPolicies.FrontDesk)]
public sealed class StateModel : ConsolePage
{
    private readonly CardWorkflow _cards;

    public StateModel(CardWorkflow cards)
    {
        _cards = cards;
    }

    public EncoderStateView State { get; private set; } = null!;

    public async Task OnGetAsync(string? encoder, string? purpose, CancellationToken cancellationToken)
    {
        State = await EncoderStateView.ReadAsync(_cards, encoder, purpose == "identify" ? EncoderPurpose.Identify : EncoderPurpose.Issue, Text, cancellationToken);
    }

}
