using Gateway.Drivers.CardEncoders.Layout;

namespace Gateway.Simulators.Encoder;

/// <summary>
/// The PN532's command handling, without I/O: the commands Gateway's driver and the
/// Iot.Device.Bindings Pn532 class send (PN532 User Manual §7), a field holding any number of
/// virtual MIFARE Classic cards, and the faults the control API injects (tear, slow, stall).
/// Thread-safe: the serial loop and the control API call it concurrently.
/// </summary>
public sealed class Pn532Emulator
{
    // PN532 User Manual §7.2.2: IC = 32h, version 1.6, supports ISO/IEC 14443 A and B and ISO 18092.
    private static readonly byte[] Firmware = [0x32, 0x01, 0x06, 0x07];

    private readonly object _lock = new();
    private readonly List<VirtualMifareCard> _field = [];
    private readonly Dictionary<string, VirtualMifareCard> _known = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<VirtualMifareCard?> _targets = [];
    private byte _maxRetriesPassive = 0xFF;
    private int _tearAfter = -1;
    private int _stallAfter = -1;
    private bool _stalled;
    private long _commands;
    private long _lists;
    private long _cardCommands;
    private long _replies;
    private long _delayedReplies;
    private long _ignoredWhileStalled;
    private long _wireTicks;
    private long _cardTicks;
    private TimeSpan _cardTime;

    /// <summary>Total PN532 commands handled since start.</summary>
    public long CommandCount => Interlocked.Read(ref _commands);

    /// <summary>InListPassiveTarget commands handled since start (each one a look for cards).</summary>
    public long ListCount => Interlocked.Read(ref _lists);

    /// <summary>Commands addressed to a card (InDataExchange) since start.</summary>
    public long CardCommandCount => Interlocked.Read(ref _cardCommands);

    /// <summary>
    /// The line rate and the card's time per command that the front ends (the serial PN532, the PC/SC
    /// reader) spend before they answer; <see cref="EncoderTiming.Off"/> unless set (the simulator
    /// program sets <see cref="EncoderTiming.DataSheet"/> unless told <c>--timing off</c>).
    /// </summary>
    public EncoderTiming Timing { get; set; } = EncoderTiming.Off;

    /// <summary>Line time modelled so far (every byte on the serial line, both ways).</summary>
    public TimeSpan ModelledWireTime => TimeSpan.FromTicks(Interlocked.Read(ref _wireTicks));

    /// <summary>Card (and reader) time modelled so far.</summary>
    public TimeSpan ModelledCardTime => TimeSpan.FromTicks(Interlocked.Read(ref _cardTicks));

    /// <summary>Counts modelled time that a front end spent (for <c>GET /stats</c> and the benchmark's shares).</summary>
    public void NoteModelledTime(TimeSpan wire, TimeSpan card)
    {
        Interlocked.Add(ref _wireTicks, wire.Ticks);
        Interlocked.Add(ref _cardTicks, card.Ticks);
    }

    /// <summary>Delay before each reply (after the ACK); zero by default.</summary>
    public TimeSpan ReplyDelay { get; set; }

    /// <summary>Which replies <see cref="ReplyDelay"/> applies to: every Nth (1, the default, is every reply).</summary>
    public int ReplyDelayEvery { get; set; } = 1;

    /// <summary>Only replies to this command code are delayed (null, the default: replies to every command).</summary>
    public byte? ReplyDelayCommand { get; set; }

    /// <summary>Replies sent late so far (by <see cref="ReplyDelay"/>).</summary>
    public long DelayedReplyCount => Interlocked.Read(ref _delayedReplies);

    /// <summary>Host frames left unanswered because the reader was stalled.</summary>
    public long IgnoredWhileStalledCount => Interlocked.Read(ref _ignoredWhileStalled);

    /// <summary>
    /// Transport faults injected so far: replies delayed and frames ignored while stalled. A test that
    /// injects none and still sees the encoder report a transport fault has found a real one.
    /// </summary>
    public long TransportFaultCount => DelayedReplyCount + IgnoredWhileStalledCount;

    /// <summary>While true, commands get neither ACK nor reply (a hung or unplugged reader).</summary>
    public bool Stalled
    {
        get => Volatile.Read(ref _stalled);
        set => Volatile.Write(ref _stalled, value);
    }

    /// <summary>The delay for the reply to <paramref name="command"/> about to be sent (counts replies for <see cref="ReplyDelayEvery"/>).</summary>
    public TimeSpan NextReplyDelay(byte? command = null)
    {
        var delay = ReplyDelay;
        if (ReplyDelayCommand is { } only && command is { } code && code != only)
        {
            return TimeSpan.Zero;
        }

        var n = Interlocked.Increment(ref _replies);
        if (delay <= TimeSpan.Zero || n % Math.Max(1, ReplyDelayEvery) != 0)
        {
            return TimeSpan.Zero;
        }

        Interlocked.Increment(ref _delayedReplies);
        return delay;
    }

    /// <summary>Counts a host frame left unanswered because the reader is stalled.</summary>
    public void NoteIgnoredWhileStalled() => Interlocked.Increment(ref _ignoredWhileStalled);

    /// <summary>Places a new blank card in the field and returns it.</summary>
    public VirtualMifareCard PlaceNewCard(MifareClassicType type, byte[]? uid = null)
    {
        var card = new VirtualMifareCard(type, uid ?? VirtualMifareCard.RandomUid());
        lock (_lock)
        {
            if (_known.ContainsKey(Convert.ToHexString(card.Uid)))
            {
                throw new ArgumentException($"a card with UID {Convert.ToHexString(card.Uid)} already exists");
            }

            _known[Convert.ToHexString(card.Uid)] = card;
            _field.Add(card);
        }

        return card;
    }

    /// <summary>Puts a known card back in the field; false when the UID is unknown.</summary>
    public bool Place(string uidHex)
    {
        lock (_lock)
        {
            if (!_known.TryGetValue(uidHex, out var card))
            {
                return false;
            }

            if (!_field.Contains(card))
            {
                card.Halt();
                _field.Add(card);
            }

            return true;
        }
    }

    /// <summary>Takes a card out of the field (it stays known and can be placed again); false when it was not there.</summary>
    public bool Remove(string uidHex)
    {
        lock (_lock)
        {
            return _field.RemoveAll(c => string.Equals(Convert.ToHexString(c.Uid), uidHex, StringComparison.OrdinalIgnoreCase)) > 0;
        }
    }

    /// <summary>Takes every card out of the field.</summary>
    public void RemoveAll()
    {
        lock (_lock)
        {
            _field.Clear();
        }
    }

    /// <summary>The cards now in the field.</summary>
    public IReadOnlyList<VirtualMifareCard> InField()
    {
        lock (_lock)
        {
            return [.. _field];
        }
    }

    /// <summary>Every card the simulator knows (in the field or set aside).</summary>
    public IReadOnlyList<VirtualMifareCard> Known()
    {
        lock (_lock)
        {
            return [.. _known.Values];
        }
    }

    /// <summary>Finds a known card.</summary>
    public VirtualMifareCard? Find(string uidHex)
    {
        lock (_lock)
        {
            return _known.GetValueOrDefault(uidHex);
        }
    }

    /// <summary>Memory of a known card (copy), or null.</summary>
    public byte[][]? Dump(string uidHex)
    {
        lock (_lock)
        {
            return _known.GetValueOrDefault(uidHex)?.Dump();
        }
    }

    /// <summary>Writes a block of a known card directly (tampering); false when unknown.</summary>
    public bool Poke(string uidHex, int block, byte[] data)
    {
        lock (_lock)
        {
            if (!_known.TryGetValue(uidHex, out var card) || block < 0 || block >= MifareClassic.BlockCount(card.Type) || data.Length != MifareClassic.BlockSize)
            {
                return false;
            }

            card.Poke(block, data);
            return true;
        }
    }

    /// <summary>
    /// Stalls the reader (as <see cref="Stalled"/>) once <paramref name="commands"/> more card
    /// commands (InDataExchange) have been executed: the last one completes on the card and is
    /// answered, then nothing is. Zero stalls at once; a negative value disarms.
    /// </summary>
    public void StallAfter(int commands)
    {
        lock (_lock)
        {
            _stallAfter = commands;
            if (commands == 0)
            {
                Stalled = true;
            }
        }
    }

    /// <summary>
    /// Tears every card off the field once <paramref name="commands"/> more card commands
    /// (InDataExchange) have been executed: the last one completes on the card and is answered,
    /// then the card is gone. A negative value disarms.
    /// </summary>
    public void TearAfter(int commands)
    {
        lock (_lock)
        {
            _tearAfter = commands;
            if (commands == 0)
            {
                _field.Clear();
            }
        }
    }

    /// <summary>Handles one command; returns the reply's data (without code), or null for no reply at all.</summary>
    public byte[]? Handle(byte command, ReadOnlySpan<byte> data) => Handle(command, data, out _);

    /// <summary>
    /// Handles one command; returns the reply's data (without code), or null for no reply at all, and
    /// the time the card(s) spent on it by <see cref="Timing"/> (selection, authentication, read, write).
    /// </summary>
    public byte[]? Handle(byte command, ReadOnlySpan<byte> data, out TimeSpan cardTime)
    {
        Interlocked.Increment(ref _commands);
        lock (_lock)
        {
            _cardTime = TimeSpan.Zero;
            var reply = Dispatch(command, data);
            cardTime = _cardTime;
            return reply;
        }
    }

    private byte[]? Dispatch(byte command, ReadOnlySpan<byte> data) => command switch
    {
        0x02 => Firmware,                                   // GetFirmwareVersion
        0x04 => [0x00, 0x01, 0x00, 0x00],                   // GetGeneralStatus: no error, field on, no target, SAM ok
        0x06 => new byte[Math.Max(0, data.Length / 2)],     // ReadRegister: zeros
        0x08 or 0x0E or 0x12 or 0x14 => [],                 // WriteRegister, WriteGPIO, SetParameters, SAMConfiguration
        0x0C => [0xFF, 0x07, 0x00],                         // ReadGPIO
        0x32 => RfConfiguration(data),
        0x4A => ListPassiveTarget(data),
        0x40 => DataExchange(data),
        0x44 => Deselect(data),
        0x52 => Release(data),
        0x54 => Select(data),
        _ => null,
    };

    /// <summary>True for the command codes <see cref="Handle(byte, ReadOnlySpan{byte})"/> understands; others get the error frame.</summary>
    public static bool IsKnown(byte command) => command is 0x02 or 0x04 or 0x06 or 0x08 or 0x0C or 0x0E or 0x12 or 0x14 or 0x32 or 0x4A or 0x40 or 0x44 or 0x52 or 0x54;

    private byte[] RfConfiguration(ReadOnlySpan<byte> data)
    {
        // Item 05h: MxRtyATR, MxRtyPSL, MxRtyPassiveActivation (FFh = retry for ever).
        if (data.Length >= 4 && data[0] == 0x05)
        {
            _maxRetriesPassive = data[3];
        }

        return [];
    }

    private byte[]? ListPassiveTarget(ReadOnlySpan<byte> data)
    {
        Interlocked.Increment(ref _lists);
        if (data.Length < 2)
        {
            return null;
        }

        _targets.Clear();
        var max = Math.Clamp((int)data[0], 1, 2);
        if (data[1] != 0x00 || _field.Count == 0)
        {
            // With infinite retries a real PN532 waits for a card and never answers meanwhile.
            return _maxRetriesPassive == 0xFF ? null : [0x00];
        }

        var reply = new List<byte> { (byte)Math.Min(max, _field.Count) };
        foreach (var card in _field.Take(max))
        {
            card.Activate();
            _cardTime += Timing.Select(card.Uid.Length);
            _targets.Add(card);
            reply.Add((byte)_targets.Count);
            reply.Add((byte)(card.Atqa >> 8));
            reply.Add((byte)card.Atqa);
            reply.Add(card.Sak);
            reply.Add((byte)card.Uid.Length);
            reply.AddRange(card.Uid);
        }

        return [.. reply];
    }

    private byte[] DataExchange(ReadOnlySpan<byte> data)
    {
        Interlocked.Increment(ref _cardCommands);
        if (_stallAfter > 0 && --_stallAfter == 0)
        {
            // This command is still answered (the reply is computed now); the next one is not.
            Stalled = true;
            _stallAfter = -1;
        }

        var card = Target(data);
        if (card is null)
        {
            return [(byte)CardStatus.Timeout];
        }

        _cardTime += Timing.MifareCommand(data.Length > 1 ? data[1] : (byte)0);
        var (status, reply) = card.Execute(data[1..]);
        if (_tearAfter > 0 && --_tearAfter == 0)
        {
            _field.Clear();
            _tearAfter = -1;
        }

        return [(byte)status, .. reply];
    }

    private byte[] Select(ReadOnlySpan<byte> data)
    {
        var card = Target(data);
        if (card is null)
        {
            return [(byte)CardStatus.Timeout];
        }

        card.Activate();
        _cardTime += Timing.Select(card.Uid.Length);
        return [0x00];
    }

    private byte[] Deselect(ReadOnlySpan<byte> data)
    {
        Target(data)?.Halt();
        return [0x00];
    }

    private byte[] Release(ReadOnlySpan<byte> data)
    {
        if (data.Length > 0 && data[0] == 0)
        {
            _targets.Clear();
        }
        else if (Target(data) is { } card)
        {
            card.Halt();
        }

        return [0x00];
    }

    private VirtualMifareCard? Target(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || data[0] < 1 || data[0] > _targets.Count)
        {
            return null;
        }

        var card = _targets[data[0] - 1];
        return card is not null && _field.Contains(card) ? card : null;
    }
}
