using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Drivers.Uhppote;

namespace Gateway.Simulators.Uhppote;

/// <summary>
/// The --state file of <c>gateway-sim uhppote</c>: each board's card table (deleted slots kept), event
/// log, indexes, clock offset, doors and listener, as JSON keyed by serial number. Written whole to a
/// temporary file and renamed over the old one, so a crash never leaves half a file.
/// </summary>
public static class UhppoteStateFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary>Reads the file; an absent file is an empty state.</summary>
    /// <exception cref="InvalidDataException">The file is not a state file of this simulator.</exception>
    public static async Task<IReadOnlyDictionary<uint, UhppoteBoardSnapshot>> LoadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return new Dictionary<uint, UhppoteBoardSnapshot>();
        }

        try
        {
            await using var stream = File.OpenRead(path);
            var document = await JsonSerializer.DeserializeAsync<StateDocument>(stream, Json, cancellationToken)
                ?? throw new InvalidDataException($"{path} is empty");
            return document.Controllers.ToDictionary(c => c.Key, c => c.Value.ToSnapshot());
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"{path} is not a gateway-sim uhppote state file: {ex.Message}", ex);
        }
    }

    public static async Task SaveAsync(string path, IReadOnlyDictionary<uint, UhppoteBoardSnapshot> boards, CancellationToken cancellationToken)
    {
        var document = new StateDocument(boards.ToDictionary(b => b.Key, b => BoardState.From(b.Value)));
        var temporary = path + ".tmp";
        await using (var stream = File.Create(temporary))
        {
            await JsonSerializer.SerializeAsync(stream, document, Json, cancellationToken);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private sealed record StateDocument(Dictionary<uint, BoardState> Controllers);

    private sealed record BoardState(
        List<CardState?> Slots,
        List<EventState> Events,
        uint LastIndex,
        uint HostIndex,
        long ClockOffsetSeconds,
        List<SimulatedDoorState> Doors,
        string? Listener,
        byte ListenerInterval,
        bool RecordSpecialEvents)
    {
        public static BoardState From(UhppoteBoardSnapshot s) => new(
            [.. s.Slots.Select(c => c is null ? null : new CardState(c.Number, Day(c.From), Day(c.To), [c.Doors.Door1, c.Doors.Door2, c.Doors.Door3, c.Doors.Door4], c.Pin))],
            [.. s.Events.Select(e => new EventState(e.Index, e.Type, e.Granted, e.Door, e.Direction, e.Card, e.Timestamp?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), e.Reason))],
            s.LastIndex,
            s.HostIndex,
            s.ClockOffsetSeconds,
            [.. s.Doors],
            s.Listener,
            s.ListenerInterval,
            s.RecordSpecialEvents);

        public UhppoteBoardSnapshot ToSnapshot() => new(
            [.. Slots.Select(c => c is null ? null : new UhppoteCard(c.Card, ParseDay(c.From), ParseDay(c.To), new DoorPermissions(c.Doors[0], c.Doors[1], c.Doors[2], c.Doors[3]), c.Pin))],
            [.. Events.Select(e => new UhppoteEvent(e.Index, e.Type, e.Granted, e.Door, e.Direction, e.Card, e.Time is null ? null : DateTime.ParseExact(e.Time, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), e.Reason))],
            LastIndex,
            HostIndex,
            ClockOffsetSeconds,
            Doors,
            Listener,
            ListenerInterval,
            RecordSpecialEvents);

        private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        private static DateOnly ParseDay(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    private sealed record CardState(uint Card, string From, string To, byte[] Doors, uint Pin);

    private sealed record EventState(uint Index, UhppoteEventType Type, bool Granted, byte Door, UhppoteDirection Direction, uint Card, string? Time, UhppoteEventReason Reason);
}
