using Gateway.Service.Api;
using Gateway.Service.Audit;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages.Admin;

/// <summary>
/// The audit log (<see cref="AuditLog.ListAsync"/>, as <c>GET /api/audit</c>): without filters the latest
/// rows, with them every matching row from the start, page by page; the chain head to keep outside the site.
/// </summary>
[Authorize(Policy = GatewayPolicies.ReadAudit)]
public sealed class AuditModel : ConsolePage
{
    public const int Shown = 50;
    private readonly AuditLog _log;

    public AuditModel(AuditLog log)
    {
        _log = log;
    }

    public string? Action { get; private set; }

    public string? Subject { get; private set; }

    public string? Operator { get; private set; }

    public AuditHead Head { get; private set; } = null!;

    public IReadOnlyList<AuditRow> Rows { get; private set; } = [];

    /// <summary>The id to continue from for the next rows, or null when these are the last.</summary>
    public long? Next { get; private set; }

    public async Task OnGetAsync(string? action, string? subject, string? @operator, long? after, CancellationToken cancellationToken)
    {
        (Action, Subject, Operator) = (Clip(action, 100), Clip(subject, 200), Clip(@operator, 100));
        Head = await _log.HeadAsync(cancellationToken);
        var filtered = Action is not null || Subject is not null || Operator is not null;
        // Unfiltered, the page opens on the latest rows; the chain's ids are dense, so they are the last Shown ids.
        var from = after is > 0 ? after.Value : filtered ? 0 : Math.Max(0, Head.LastId - Shown);
        var rows = await _log.ListAsync(new AuditQuery(Action, Subject, Operator, null, null), from, Shown + 1, cancellationToken);
        Next = rows.Count > Shown ? rows[Shown - 1].Id : null;
        Rows = rows.Take(Shown).ToList();
    }

    private static string? Clip(string? text, int max) => string.IsNullOrWhiteSpace(text) ? null : text.Trim() is { } t && t.Length <= max ? t : null;
}
