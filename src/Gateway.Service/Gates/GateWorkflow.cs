using Gateway.Service.Controllers;
using Gateway.Service.Domain;
using Gateway.Service.Storage;

namespace Gateway.Service.Gates;

/// <summary>
/// Opening a lane or a door from the desk (a visitor without a card, an emergency): the opening and its reason
/// are recorded and audited before anything is sent, the controller's own turn on its bus sends it, and the
/// answer is recorded. A controller that logs openings (gateway-barrier 1.1) logs the opening's id with the
/// event, so the collected event shows who opened the lane and why.
/// </summary>
public sealed class GateWorkflow
{
    /// <summary>The longest reason kept.</summary>
    public const int MaxReasonLength = 200;

    private readonly SyncEngine _engine;
    private readonly GateStore _store;

    public GateWorkflow(SyncEngine engine, GateStore store)
    {
        _engine = engine;
        _store = store;
    }

    /// <summary>
    /// Opens lane <paramref name="lane"/> of controller <paramref name="controllerId"/>. Refused with nothing
    /// written when there is no such controller (not found) or it is not connected (unavailable); otherwise the
    /// opening is recorded and its outcome with it: opened, or a device failure (the lane may have opened), or
    /// not sent.
    /// </summary>
    public async Task<Outcome<GateOpeningView>> OpenAsync(Actor actor, string controllerId, int lane, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (_engine.FindOpener(controllerId) is not { } opener)
        {
            return Refusal.NotFound($"controller '{controllerId}'");
        }

        var id = opener.Device.Id;
        if (!_engine.IsRunning || !opener.IsConnected)
        {
            return Refusal.Unavailable($"{id} is not connected; nothing was sent");
        }

        if (opener.Lanes is { } lanes && !lanes.Contains(lane))
        {
            return Refusal.Invalid("lane", $"{id} has no lane {lane}: it opens {string.Join(", ", lanes)}");
        }

        var opening = await _store.BeginAsync(actor, id, lane, reason, cancellationToken);

        // The opening's id is its tag: 32 bits on the wire.
        var result = await _engine.OpenAsync(id, lane, checked((uint)opening.Id), CancellationToken.None)
            ?? new GateOpenResult(GateOpenStatus.NotConnected, Detail: $"{id} left the configuration");
        var outcome = result.Status switch
        {
            GateOpenStatus.Opened => "opened",
            GateOpenStatus.Failed => "failed",
            _ => "not-sent",
        };

        // Recorded whatever the caller does meanwhile: the controller may have acted.
        var done = await _store.CompleteAsync(actor, opening.Id, outcome, result.Logged, result.Detail, CancellationToken.None);
        var said = $"opening {done.Id}, lane {lane} of {id}: {result.Detail}";
        return result.Status switch
        {
            GateOpenStatus.Opened => done,
            GateOpenStatus.Failed => Refusal.DeviceFailed(said),
            GateOpenStatus.NoSuchLane => Refusal.Invalid("lane", said),
            _ => Refusal.Unavailable(said),
        };
    }

    public Task<GateOpeningView?> GetAsync(long id, CancellationToken cancellationToken) => _store.GetAsync(id, cancellationToken);

    public Task<Page<GateOpeningView>> ListAsync(string? controllerId, PageRequest page, CancellationToken cancellationToken) => _store.ListAsync(controllerId, page, cancellationToken);
}
