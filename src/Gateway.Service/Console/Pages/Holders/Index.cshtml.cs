using Gateway.Service.Api;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Holders;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages.Holders;

/// <summary>Find a holder by name, unit, phone, plate or card number.</summary>
[Authorize(Policy = GatewayPolicies.ReadOperational)]
public sealed class IndexModel : ConsolePage
{
    public const int MaxResults = 50;
    private readonly HolderWorkflow _holders;

    public IndexModel(HolderWorkflow holders)
    {
        _holders = holders;
    }

    public string? Q { get; private set; }

    public IReadOnlyList<Holder>? Results { get; private set; }

    public async Task OnGetAsync(string? q, CancellationToken cancellationToken)
    {
        Q = q?.Trim();
        if (Q is { Length: > 0 and <= 64 })
        {
            Results = await _holders.SearchAsync(Q, MaxResults, cancellationToken);
        }
    }
}
