using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Gateway.Drivers.Channels;
using Gateway.Drivers.Uhppote.Codec;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.Uhppote;

/// <summary>Timing of <see cref="UhppoteController"/>'s requests.</summary>
public sealed record UhppoteControllerOptions
{
    /// <summary>Deadline of one request, all resends included (default 2 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A request is sent again when no reply came for this long (default 500 ms): UDP loses datagrams.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <exception cref="ArgumentOutOfRangeException">A time is not positive, or the retry interval exceeds the timeout.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero, nameof(Timeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetryInterval, TimeSpan.Zero, nameof(RetryInterval));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RetryInterval, Timeout, nameof(RetryInterval));
    }
}

/// <summary>
/// Driver of one UHPPOTE / WG-series board: unicast UDP to its address, speaking intentions (cards,
/// events, clock, doors, listener); packets stay inside (docs/uhppote.md).
/// </summary>
/// <remarks>
/// One request is in flight at a time (callers queue). Each request goes out on a fresh UDP socket, so
/// a late reply to an earlier request can never be taken for this one; the reply is the first datagram
/// of the request's function code from this board's serial number; other datagrams (another board,
/// another function, malformed, duplicates) are ignored. A request without a reply is sent again every
/// <see cref="UhppoteControllerOptions.RetryInterval"/> until <see cref="UhppoteControllerOptions.Timeout"/>.
/// Errors: <see cref="DeviceTimeoutException"/> (no reply), <see cref="UhppoteWrongControllerException"/>
/// (only another board answered), <see cref="UhppoteProtocolException"/> (a reply that breaks the
/// protocol), <see cref="UhppoteRefusedException"/> (the board said no), <see cref="DeviceConnectionException"/>
/// (socket errors, nothing listening). Cancellation passes through as <see cref="OperationCanceledException"/>.
/// All dates and times are the board's local time (<see cref="DateTimeKind.Unspecified"/>).
/// </remarks>
public sealed class UhppoteController : IAsyncDisposable
{
    /// <summary>A walk of the card table gives up past this slot: no board holds a million records.</summary>
    private const uint MaxTableSlots = 1_000_000;

    private readonly UhppoteEndpoint _endpoint;
    private readonly UhppoteControllerOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IPEndPoint? _remote;
    private bool _disposed;

    /// <summary>Drives board <paramref name="serial"/> at <paramref name="endpoint"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Serial 0 (that addresses every board).</exception>
    /// <exception cref="ArgumentException">Port 0.</exception>
    public UhppoteController(UhppoteEndpoint endpoint, uint serial, UhppoteControllerOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentOutOfRangeException.ThrowIfZero(serial);
        if (endpoint.Port == 0)
        {
            throw new ArgumentException($"{endpoint}: a board listens on a port, 60000 by default", nameof(endpoint));
        }

        _endpoint = endpoint;
        Serial = serial;
        _options = options ?? new UhppoteControllerOptions();
        _options.Validate();
        _logger = logger ?? NullLogger.Instance;
        Device = string.Create(CultureInfo.InvariantCulture, $"{endpoint}#{serial}");
    }

    /// <summary>Drives board <paramref name="serial"/> at <paramref name="endpoint"/>.</summary>
    public UhppoteController(IPEndPoint endpoint, uint serial, UhppoteControllerOptions? options = null, ILogger? logger = null)
        : this(UhppoteEndpoint.From(endpoint), serial, options, logger)
    {
        _remote = endpoint;
    }

    /// <summary>The board's serial number.</summary>
    public uint Serial { get; }

    /// <summary>The device as errors name it: <c>udp://HOST:PORT#SERIAL</c>.</summary>
    public string Device { get; }

    /// <summary>Identity, network settings and firmware of the board (get-controller).</summary>
    public async Task<UhppoteControllerInfo> GetControllerAsync(CancellationToken cancellationToken = default) =>
        (await ExchangeAsync<GetControllerResponse>(new GetControllerRequest(Serial), cancellationToken)).ToInfo();

    /// <summary>The board's clock, its local time (get-time).</summary>
    public async Task<DateTime> GetTimeAsync(CancellationToken cancellationToken = default) =>
        (await ExchangeAsync<TimeResponse>(new GetTimeRequest(Serial), cancellationToken)).Time ?? throw Protocol("get-time answered no time");

    /// <summary>Sets the board's clock to <paramref name="localTime"/> (to the second; years 2000-2099) and returns what the board then says.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A year outside 2000-2099, which the board's calendar does not hold.</exception>
    public async Task<DateTime> SetTimeAsync(DateTime localTime, CancellationToken cancellationToken = default)
    {
        if (localTime.Year is < 2000 or > 2099)
        {
            throw new ArgumentOutOfRangeException(nameof(localTime), localTime, "a board's clock holds years 2000-2099");
        }

        var seconds = new DateTime(localTime.Ticks - (localTime.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Unspecified);
        return (await ExchangeAsync<TimeResponse>(new SetTimeRequest(Serial, seconds), cancellationToken)).Time ?? throw Protocol("set-time answered no time");
    }

    /// <summary>Clock, doors, buttons, relays, inputs and the newest event (get-status).</summary>
    public async Task<UhppoteStatus> GetStatusAsync(CancellationToken cancellationToken = default) =>
        (await ExchangeAsync<StatusResponse>(new GetStatusRequest(Serial), cancellationToken)).Status;

    /// <summary>How many card records the board holds (get-cards).</summary>
    public async Task<int> GetCardCountAsync(CancellationToken cancellationToken = default)
    {
        var count = (await ExchangeAsync<ValueResponse>(new GetCardsRequest(Serial), cancellationToken)).Value;
        return count <= int.MaxValue ? (int)count : throw Protocol(string.Create(CultureInfo.InvariantCulture, $"get-cards answered {count} cards"));
    }

    /// <summary>The record of card <paramref name="number"/>, or null when the board holds none (get-card).</summary>
    public async Task<UhppoteCard?> GetCardAsync(uint number, CancellationToken cancellationToken = default)
    {
        var r = await ExchangeAsync<CardRecordResponse>(new GetCardRequest(Serial, number), cancellationToken);
        if (r.Card is CardRecordResponse.NoCard or CardRecordResponse.DeletedCard)
        {
            return null;
        }

        return r.Card == number
            ? ToCard(r)
            : throw Protocol(string.Create(CultureInfo.InvariantCulture, $"get-card {number} answered card {r.Card}"));
    }

    /// <summary>Slot <paramref name="index"/> (from 1) of the card table (get-card-by-index): a card, a deleted record, or the end.</summary>
    public async Task<UhppoteCardSlot> GetCardByIndexAsync(uint index, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfZero(index);
        var r = await ExchangeAsync<CardRecordResponse>(new GetCardByIndexRequest(Serial, index), cancellationToken);
        return r.Card switch
        {
            CardRecordResponse.NoCard => new UhppoteCardSlot(index, UhppoteCardSlotKind.End, null),
            CardRecordResponse.DeletedCard => new UhppoteCardSlot(index, UhppoteCardSlotKind.Deleted, null),
            _ => new UhppoteCardSlot(index, UhppoteCardSlotKind.Card, ToCard(r)),
        };
    }

    /// <summary>
    /// Every card record, walking the table by index from 1 (one request per slot, deleted slots
    /// skipped) until as many cards as get-cards counted were seen or the table ends.
    /// </summary>
    public async IAsyncEnumerable<UhppoteCard> ReadCardsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var count = await GetCardCountAsync(cancellationToken);
        var seen = 0;
        for (uint index = 1; seen < count; index++)
        {
            if (index > MaxTableSlots)
            {
                throw Protocol(string.Create(CultureInfo.InvariantCulture, $"the card table did not end within {MaxTableSlots} slots ({seen} of {count} cards seen)"));
            }

            var slot = await GetCardByIndexAsync(index, cancellationToken);
            if (slot.Kind == UhppoteCardSlotKind.End)
            {
                yield break;
            }

            if (slot.Card is { } card)
            {
                seen++;
                yield return card;
            }
        }
    }

    /// <summary>Adds or replaces <paramref name="card"/>'s record (put-card). One request.</summary>
    /// <exception cref="ArgumentException">The record cannot be stored (reserved number, To before From, PIN above 999999).</exception>
    /// <exception cref="UhppoteRefusedException">The board did not store it (table full, or it rejected the record).</exception>
    public async Task PutCardAsync(UhppoteCard card, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(card);
        card.Validate();
        var r = await ExchangeAsync<AckResponse>(new PutCardRequest(Serial, card), cancellationToken);
        if (!r.Ok)
        {
            throw new UhppoteRefusedException(Device, "put-card", string.Create(CultureInfo.InvariantCulture, $"the board did not store card {card.Number} (table full or record refused)"));
        }
    }

    /// <summary>
    /// Removes card <paramref name="number"/>'s record (delete-card). True when the board removed one;
    /// false when it held none — or when a resend after a lost reply found it already removed.
    /// </summary>
    public async Task<bool> DeleteCardAsync(uint number, CancellationToken cancellationToken = default) =>
        (await ExchangeAsync<AckResponse>(new DeleteCardRequest(Serial, number), cancellationToken)).Ok;

    /// <summary>Removes every card record (delete-all-cards).</summary>
    /// <exception cref="UhppoteRefusedException">The board did not clear its table.</exception>
    public async Task DeleteAllCardsAsync(CancellationToken cancellationToken = default)
    {
        if (!(await ExchangeAsync<AckResponse>(new DeleteAllCardsRequest(Serial), cancellationToken)).Ok)
        {
            throw new UhppoteRefusedException(Device, "delete-all-cards", "the board did not clear its card table");
        }
    }

    /// <summary>
    /// The event at <paramref name="index"/> (get-event): found, not yet (past the end of the log) or
    /// overwritten (older than what the board still holds).
    /// </summary>
    public async Task<UhppoteEventLookup> GetEventAsync(uint index, CancellationToken cancellationToken = default)
    {
        var r = await ExchangeAsync<EventResponse>(new GetEventRequest(Serial, index), cancellationToken);
        var lookup = r.ToLookup(index);
        if (lookup.Kind == UhppoteEventLookupKind.Found && index is not (0 or uint.MaxValue) && r.Index != index)
        {
            throw Protocol(string.Create(CultureInfo.InvariantCulture, $"get-event {index} answered event {r.Index}"));
        }

        return lookup;
    }

    /// <summary>The event index the host last stored on the board (get-event-index).</summary>
    public async Task<uint> GetEventIndexAsync(CancellationToken cancellationToken = default) =>
        (await ExchangeAsync<ValueResponse>(new GetEventIndexRequest(Serial), cancellationToken)).Value;

    /// <summary>Stores the host's acknowledged event index on the board (set-event-index); true when it changed.</summary>
    public async Task<bool> SetEventIndexAsync(uint index, CancellationToken cancellationToken = default) =>
        (await ExchangeAsync<AckResponse>(new SetEventIndexRequest(Serial, index), cancellationToken)).Ok;

    /// <summary>Releases door <paramref name="door"/>'s lock for its open time, as a granted card would (open-door).</summary>
    /// <exception cref="UhppoteRefusedException">The board did not open it.</exception>
    public async Task OpenDoorAsync(int door, CancellationToken cancellationToken = default)
    {
        if (!(await ExchangeAsync<AckResponse>(new OpenDoorRequest(Serial, CheckDoor(door)), cancellationToken)).Ok)
        {
            throw new UhppoteRefusedException(Device, "open-door", string.Create(CultureInfo.InvariantCulture, $"the board did not open door {door}"));
        }
    }

    /// <summary>Door <paramref name="door"/>'s control mode and open time (get-door-control).</summary>
    public async Task<UhppoteDoorControl> GetDoorControlAsync(int door, CancellationToken cancellationToken = default) =>
        CheckedDoor(door, (await ExchangeAsync<DoorControlResponse>(new GetDoorControlRequest(Serial, CheckDoor(door)), cancellationToken)).Control);

    /// <summary>Sets door <paramref name="door"/>'s mode and open time in seconds (set-door-control); returns what the board then holds.</summary>
    public async Task<UhppoteDoorControl> SetDoorControlAsync(int door, DoorControlMode mode, byte openSeconds, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "normally open, normally closed or controlled");
        }

        var r = await ExchangeAsync<DoorControlResponse>(new SetDoorControlRequest(Serial, CheckDoor(door), mode, openSeconds), cancellationToken);
        return CheckedDoor(door, r.Control);
    }

    /// <summary>The board's anti-passback mode (get-anti-passback; firmware without it does not answer: <see cref="DeviceTimeoutException"/>).</summary>
    public async Task<UhppoteAntiPassback> GetAntiPassbackAsync(CancellationToken cancellationToken = default) =>
        (await ExchangeAsync<AntiPassbackResponse>(new GetAntiPassbackRequest(Serial), cancellationToken)).Mode;

    /// <summary>Sets the board's anti-passback mode (set-anti-passback).</summary>
    /// <exception cref="UhppoteRefusedException">The board refused the mode.</exception>
    public async Task SetAntiPassbackAsync(UhppoteAntiPassback mode, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "anti-passback modes are 0-4");
        }

        if (!(await ExchangeAsync<AckResponse>(new SetAntiPassbackRequest(Serial, mode), cancellationToken)).Ok)
        {
            throw new UhppoteRefusedException(Device, "set-anti-passback", string.Create(CultureInfo.InvariantCulture, $"the board refused anti-passback mode {(byte)mode}"));
        }
    }

    /// <summary>Where the board pushes events, and its auto-send interval (get-listener).</summary>
    public async Task<UhppoteListener> GetListenerAsync(CancellationToken cancellationToken = default)
    {
        var r = await ExchangeAsync<ListenerResponse>(new GetListenerRequest(Serial), cancellationToken);
        return new UhppoteListener(r.Listener, r.IntervalSeconds);
    }

    /// <summary>
    /// Makes the board push every event to <paramref name="listener"/> (IPv4, the address as the board
    /// sees Gateway), and its status every <paramref name="intervalSeconds"/> (0: only events) (set-listener).
    /// A board has one listener: taking it from other software stops that software's events.
    /// </summary>
    /// <exception cref="UhppoteRefusedException">The board refused the address.</exception>
    public async Task SetListenerAsync(IPEndPoint listener, byte intervalSeconds = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(listener);
        if (listener.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"{listener} is not IPv4: the boards speak IPv4 only", nameof(listener));
        }

        if (!(await ExchangeAsync<AckResponse>(new SetListenerRequest(Serial, listener, intervalSeconds), cancellationToken)).Ok)
        {
            throw new UhppoteRefusedException(Device, "set-listener", $"the board refused listener {listener}");
        }
    }

    /// <summary>Turns the logging of door open/close and push-button events on or off (record-special-events).</summary>
    /// <exception cref="UhppoteRefusedException">The board refused.</exception>
    public async Task RecordSpecialEventsAsync(bool enable, CancellationToken cancellationToken = default)
    {
        if (!(await ExchangeAsync<AckResponse>(new RecordSpecialEventsRequest(Serial, enable), cancellationToken)).Ok)
        {
            throw new UhppoteRefusedException(Device, "record-special-events", "the board refused");
        }
    }

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }

    private static byte CheckDoor(int door) => door is >= 1 and <= 4
        ? (byte)door
        : throw new ArgumentOutOfRangeException(nameof(door), door, "doors are 1-4");

    private UhppoteDoorControl CheckedDoor(int door, UhppoteDoorControl control) => control.Door == door
        ? control
        : throw Protocol(string.Create(CultureInfo.InvariantCulture, $"door {door} was asked, the board answered for door {control.Door}"));

    private UhppoteCard ToCard(CardRecordResponse r) =>
        r.From is { } from && r.To is { } to
            ? new UhppoteCard(r.Card, from, to, r.Doors, r.Pin)
            : throw Protocol(string.Create(CultureInfo.InvariantCulture, $"card {r.Card}'s record has no date window"));

    private UhppoteProtocolException Protocol(string message) => new(Device, message);

    private async Task<T> ExchangeAsync<T>(UhppoteRequest request, CancellationToken cancellationToken)
        where T : UhppoteResponse
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var packet = request.Encode();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await ExchangeLockedAsync<T>(request, packet, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<T> ExchangeLockedAsync<T>(UhppoteRequest request, byte[] packet, CancellationToken cancellationToken)
        where T : UhppoteResponse
    {
        var time = _options.TimeProvider;
        using var deadline = new CancellationTokenSource(_options.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        uint? foreign = null;
        try
        {
            _remote ??= await ResolveAsync(linked.Token);

            // A fresh socket (a new ephemeral port) per request: a late or duplicated reply to an earlier
            // request goes to a closed port, never into this exchange.
            await using var channel = new UdpChannel(_remote, _endpoint.ToString());
            await channel.OpenAsync(linked.Token);
            var buffer = new byte[1024];
            for (var attempt = 1; ; attempt++)
            {
                // The resend interval runs from the moment the request goes out (the timer starts first).
                using var wait = new CancellationTokenSource(_options.RetryInterval, time);
                Trace("sent", packet);
                await channel.WriteAsync(packet, linked.Token);
                using var attemptToken = CancellationTokenSource.CreateLinkedTokenSource(linked.Token, wait.Token);
                try
                {
                    while (true)
                    {
                        var n = await channel.ReadAsync(buffer, attemptToken.Token);
                        if (TryMatch<T>(request, buffer.AsSpan(0, n), ref foreign) is { } reply)
                        {
                            return reply;
                        }
                    }
                }
                catch (OperationCanceledException) when (wait.IsCancellationRequested && !linked.IsCancellationRequested)
                {
                    _logger.LogDebug("UHPPOTE {Device}: no reply to {Function} within {RetryMs} ms (attempt {Attempt}); sending again", Device, request.Function, _options.RetryInterval.TotalMilliseconds, attempt);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller's cancellation, reported with the caller's token (not the linked one).
            cancellationToken.ThrowIfCancellationRequested();
            throw;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw foreign is { } other
                ? new UhppoteWrongControllerException(Device, Serial, other, _options.Timeout)
                : new DeviceTimeoutException(Device, _options.Timeout);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new DeviceConnectionException(Device, $"cannot resolve {_endpoint.Host}: {ex.Message}", ex);
        }
    }

    private T? TryMatch<T>(UhppoteRequest request, ReadOnlySpan<byte> datagram, ref uint? foreign)
        where T : UhppoteResponse
    {
        Trace("received", datagram);
        if (!UhppoteCodec.TryReadHeader(datagram, out var function, out var controller) || function != request.Function)
        {
            _logger.LogDebug("UHPPOTE {Device}: ignored a datagram of {Length} bytes that does not answer {Function}", Device, datagram.Length, request.Function);
            return null;
        }

        if (controller != Serial)
        {
            _logger.LogDebug("UHPPOTE {Device}: ignored a {Function} reply from controller {Other}", Device, function, controller);
            foreign = controller;
            return null;
        }

        try
        {
            return UhppoteCodec.DecodeResponse(datagram) as T
                ?? throw Protocol($"the reply to {request.Function} is not a {typeof(T).Name}");
        }
        catch (UhppoteCodecException ex)
        {
            throw new UhppoteProtocolException(Device, $"invalid reply to {request.Function}: {ex.Message}", ex);
        }
    }

    private async Task<IPEndPoint> ResolveAsync(CancellationToken cancellationToken)
    {
        var remote = await UdpChannel.ResolveAsync(_endpoint.Host, _endpoint.Port, cancellationToken);
        return remote.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? remote
            : throw new DeviceConnectionException(Device, $"{_endpoint.Host} has no IPv4 address; the boards speak IPv4 only");
    }

    private void Trace(string what, ReadOnlySpan<byte> bytes)
    {
        if (_logger.IsEnabled(LogLevel.Trace))
        {
            _logger.LogTrace("UHPPOTE {Device} {What} {Frame}", Device, what, Convert.ToHexString(bytes));
        }
    }
}
