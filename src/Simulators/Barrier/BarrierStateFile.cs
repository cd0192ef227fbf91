using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Drivers.Barriers;

namespace Gateway.Simulators.Barrier;

/// <summary>
/// The --state file: what persistent simulated controllers keep across restarts (whitelist, event
/// ring, sequences, options), one section per unit, as JSON. Written whole to a temporary file and
/// renamed over the old one, so a crash never leaves half a file.
/// </summary>
public static class BarrierStateFile
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Reads the file; an absent file is an empty state.</summary>
    /// <exception cref="InvalidDataException">The file is not a state file.</exception>
    public static async Task<IReadOnlyDictionary<byte, BarrierControllerSnapshot>> LoadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return new Dictionary<byte, BarrierControllerSnapshot>();
        }

        try
        {
            await using var stream = File.OpenRead(path);
            var file = await JsonSerializer.DeserializeAsync<StateDocument>(stream, Json, cancellationToken)
                ?? throw new InvalidDataException($"{path} is empty");
            return file.Units.ToDictionary(u => u.Key, u => u.Value.ToSnapshot());
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path} is not a gateway-sim barrier state file: {ex.Message}", ex);
        }
    }

    public static async Task SaveAsync(string path, IReadOnlyDictionary<byte, BarrierControllerSnapshot> units, CancellationToken cancellationToken)
    {
        var document = new StateDocument(units.ToDictionary(u => u.Key, u => UnitState.From(u.Value)));
        var temporary = path + ".tmp";
        await using (var stream = File.Create(temporary))
        {
            await JsonSerializer.SerializeAsync(stream, document, Json, cancellationToken);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private sealed record StateDocument(Dictionary<byte, UnitState> Units);

    private sealed record UnitState(
        List<EntryState> Whitelist,
        List<EventState> Events,
        uint LastSequence,
        uint Acknowledged,
        ushort Options,
        ushort LaneDirections)
    {
        public static UnitState From(BarrierControllerSnapshot s) => new(
            [.. s.Whitelist.Select(e => new EntryState(e.Uid.ToString(), e.ValidFromSeconds, e.ValidToSeconds, e.Blocked))],
            [.. s.PendingEvents.Select(e => new EventState(e.Sequence, e.Time.ToUnixTimeSeconds(), e.Uid.ToString(), e.Lane, e.Direction, e.Decision, e.Reason))],
            s.LastSequence,
            s.Acknowledged,
            s.Options,
            s.LaneDirections);

        public BarrierControllerSnapshot ToSnapshot() => new(
            [.. Whitelist.Select(e => new WhitelistEntry(CardUid.Parse(e.Uid), e.From, e.To, e.Blocked))],
            [.. Events.Select(e => new BarrierEvent(e.Sequence, DateTimeOffset.FromUnixTimeSeconds(e.Time), CardUid.Parse(e.Uid), e.Lane, e.Direction, e.Decision, e.Reason))],
            LastSequence,
            Acknowledged,
            Options,
            LaneDirections);
    }

    private sealed record EntryState(string Uid, uint From, uint To, bool Blocked);

    private sealed record EventState(
        uint Sequence,
        long Time,
        string Uid,
        int Lane,
        [property: JsonConverter(typeof(JsonStringEnumConverter<LaneDirection>))] LaneDirection Direction,
        [property: JsonConverter(typeof(JsonStringEnumConverter<AccessDecision>))] AccessDecision Decision,
        [property: JsonConverter(typeof(JsonStringEnumConverter<DenyReason>))] DenyReason Reason);
}
