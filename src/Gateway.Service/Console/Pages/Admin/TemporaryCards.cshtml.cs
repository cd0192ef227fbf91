using Gateway.Service.Api;
using Gateway.Service.Cards;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages.Admin;

/// <summary>
/// Temporary, visitor and stand-in cards with their window and days left (<see cref="CardWorkflow.ListTemporaryAsync"/>,
/// as <c>GET /api/temporary-cards</c>): by default every card still out of the office, or one status, one purpose.
/// </summary>
[Authorize(Policy = GatewayPolicies.ReadOperational)]
public sealed class TemporaryCardsModel : ConsolePage
{
    public const int Shown = 50;
    private readonly CardWorkflow _cards;

    public TemporaryCardsModel(CardWorkflow cards)
    {
        _cards = cards;
    }

    public static IReadOnlyList<string> Statuses { get; } = Wire.Names<TemporaryStatus>().ToList();

    public static IReadOnlyList<string> Purposes { get; } = Wire.Names<TemporaryPurpose>().ToList();

    /// <summary>The status shown, as its wire name; null for every card still out.</summary>
    public string? Status { get; private set; }

    public string? Purpose { get; private set; }

    public Page<CardView> Results { get; private set; } = null!;

    public async Task OnGetAsync(string? status, string? purpose, long? after, CancellationToken cancellationToken)
    {
        // A filter that does not parse is dropped: the page shows what it understood.
        TemporaryStatus? statusFilter = Wire.TryParse<TemporaryStatus>(status, out var s) ? s : null;
        TemporaryPurpose? purposeFilter = Wire.TryParse<TemporaryPurpose>(purpose, out var p) ? p : null;
        Status = statusFilter is { } st ? Wire.Name(st) : null;
        Purpose = purposeFilter is { } pu ? Wire.Name(pu) : null;
        Results = await _cards.ListTemporaryAsync(statusFilter, purposeFilter, null, new PageRequest(Shown, after is > 0 ? after.Value : 0), cancellationToken);
    }
}
