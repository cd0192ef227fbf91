using System.Diagnostics;
using Gateway.Drivers.Modbus;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.Barriers;

/// <summary>
/// Driver of one gateway-barrier/1 controller (one unit on a Modbus bus or connection). Speaks
/// intentions: whitelist, clock, events, lanes; the register map stays inside (docs/barrier-profile.md).
/// </summary>
/// <remarks>
/// Every operation is cancellable and each Modbus transaction is bounded by
/// <see cref="BarrierControllerOptions.TransactionTimeout"/>. Errors: <see cref="DeviceTimeoutException"/>,
/// <see cref="ModbusExceptionReplyException"/>, <see cref="ModbusCorruptFrameException"/>,
/// <see cref="DeviceConnectionException"/> from the master (which owns retries);
/// <see cref="BarrierProfileMismatchException"/>, <see cref="BarrierCommandException"/> and
/// <see cref="BarrierProtocolException"/> from this driver. The master is not owned: disposing it is the caller's.
/// </remarks>
public sealed class BarrierController
{
    private const ushort ResultAndStateLength = BarrierProfile.DigestRegister + 4 - BarrierProfile.ResultCodeRegister;
    // Through the open time (register 30): a 1.0 or 1.1 controller reads it as reserved, 0.
    private const ushort StatusLength = BarrierProfile.OpenTimeRegister + 1 - BarrierProfile.BootIdRegister;
    private const ushort AuditWindowLength = BarrierProfile.AuditWindowRecords * BarrierProfile.RecordRegisters;

    private readonly IModbusMaster _master;
    private readonly BarrierControllerOptions _options;
    private readonly ILogger _logger;

    /// <summary>Drives unit <paramref name="unit"/> (1..247) through <paramref name="master"/>.</summary>
    public BarrierController(IModbusMaster master, byte unit, BarrierControllerOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(master);
        if (unit is 0 or > 247)
        {
            throw new ArgumentOutOfRangeException(nameof(unit), unit, "a controller is unit 1..247");
        }

        _master = master;
        Unit = unit;
        _options = options ?? new BarrierControllerOptions();
        if (_options.TransactionTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.TransactionTimeout, "the transaction timeout is positive");
        }

        _logger = logger ?? NullLogger.Instance;
    }

    public byte Unit { get; }

    /// <summary>The device as errors name it: endpoint and unit.</summary>
    public string Device => $"{_master.Endpoint}#{Unit}";

    /// <summary>What <see cref="IdentifyAsync"/> found, or null before.</summary>
    public BarrierIdentity? Identity { get; private set; }

    /// <summary>Reads the identification block and checks that this is a gateway-barrier/1 controller. One transaction.</summary>
    /// <exception cref="BarrierProfileMismatchException">Wrong magic or another major version.</exception>
    public async Task<BarrierIdentity> IdentifyAsync(CancellationToken cancellationToken = default)
    {
        var r = await ReadAsync(BarrierProfile.MagicRegister, BarrierProfile.BootIdRegister + 2, cancellationToken);
        if (r[BarrierProfile.MagicRegister] != BarrierProfile.Magic)
        {
            throw new BarrierProfileMismatchException(Device, Unit, $"not a {BarrierProfile.Name} controller (register 0 = 0x{r[0]:X4})");
        }

        var major = (byte)(r[BarrierProfile.VersionRegister] >> 8);
        var minor = (byte)r[BarrierProfile.VersionRegister];
        if (major != BarrierProfile.MajorVersion)
        {
            throw new BarrierProfileMismatchException(Device, Unit, $"profile version {major}.{minor}, this driver speaks {BarrierProfile.MajorVersion}.x");
        }

        var identity = new BarrierIdentity(
            major,
            minor,
            (int)Math.Min(BarrierProfile.ReadUInt32(r, BarrierProfile.CapacityRegister), int.MaxValue),
            r[BarrierProfile.LaneCountRegister],
            r[BarrierProfile.EventCapacityRegister],
            BarrierProfile.ReadUInt32(r, BarrierProfile.FirmwareIdRegister),
            BarrierProfile.ReadUInt32(r, BarrierProfile.BootIdRegister));
        Identity = identity;
        _logger.LogDebug("Barrier controller {Device} identified: profile {Major}.{Minor}, capacity {Capacity}, {Lanes} lanes, boot id {BootId}", Device, major, minor, identity.Capacity, identity.Lanes, identity.BootId);
        return identity;
    }

    /// <summary>Reads the status block (boot id, clock, count, digest, event counters). One transaction.</summary>
    public async Task<BarrierStatus> ReadStatusAsync(CancellationToken cancellationToken = default)
    {
        var r = await ReadAsync(BarrierProfile.BootIdRegister, StatusLength, cancellationToken);
        int At(ushort register) => register - BarrierProfile.BootIdRegister;
        return new BarrierStatus(
            BarrierProfile.ReadUInt32(r, At(BarrierProfile.BootIdRegister)),
            DateTimeOffset.FromUnixTimeSeconds(BarrierProfile.ReadUInt32(r, At(BarrierProfile.ClockRegister))),
            (int)BarrierProfile.ReadUInt32(r, At(BarrierProfile.CountRegister)),
            BarrierProfile.ReadUInt64(r, At(BarrierProfile.DigestRegister)),
            BarrierProfile.ReadUInt32(r, At(BarrierProfile.LastSequenceRegister)),
            BarrierProfile.ReadUInt32(r, At(BarrierProfile.AcknowledgedRegister)),
            BarrierProfile.ReadUInt32(r, At(BarrierProfile.OverflowRegister)),
            (r[At(BarrierProfile.OptionsRegister)] & BarrierProfile.AntiPassbackOption) != 0,
            r[At(BarrierProfile.OpenTimeRegister)]);
    }

    /// <summary>
    /// Sets how long the controller keeps a lane open after a granted card or a remote opening before it lowers
    /// the arm (relocks the door) by itself, in seconds (0: until lowered). Profile 1.2 (register 30); one
    /// transaction. False, and nothing sent, for an older controller, which has no open time.
    /// </summary>
    /// <exception cref="InvalidOperationException">The controller was not identified.</exception>
    public async Task<bool> SetOpenTimeAsync(ushort seconds, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(seconds, BarrierProfile.MaxOpenSeconds);
        var identity = Identity ?? throw new InvalidOperationException("identify the controller before setting its open time");
        if (identity.MinorVersion < BarrierProfile.OpenTimeMinorVersion)
        {
            return false;
        }

        await RunAsync(ct => WriteAsync(BarrierProfile.OpenTimeRegister, [seconds], ct), cancellationToken);
        return true;
    }

    /// <summary>Turns the controller's anti-passback option (register 28, bit 0) on or off. One transaction.</summary>
    public Task SetAntiPassbackAsync(bool enabled, CancellationToken cancellationToken = default) =>
        RunAsync(ct => WriteAsync(BarrierProfile.OptionsRegister, [enabled ? BarrierProfile.AntiPassbackOption : (ushort)0], ct), cancellationToken);

    /// <summary>Reads the controller's clock and its drift from Gateway's (resolution 1 s). One transaction.</summary>
    public async Task<ClockReading> ReadClockAsync(CancellationToken cancellationToken = default)
    {
        var time = _options.TimeProvider;
        var before = time.GetTimestamp();
        var startedAt = time.GetUtcNow();
        var r = await ReadAsync(BarrierProfile.ClockRegister, 2, cancellationToken);
        var ours = startedAt + (time.GetElapsedTime(before) / 2);
        var theirs = DateTimeOffset.FromUnixTimeSeconds(BarrierProfile.ReadUInt32(r, 0));

        // The controller counts whole seconds: on average it is half a second behind the instant.
        var drift = theirs + TimeSpan.FromMilliseconds(500) - ours;
        return new ClockReading(theirs, ours, drift);
    }

    /// <summary>Sets the controller's clock to <paramref name="time"/> (default: Gateway's now), to the second. One transaction.</summary>
    public async Task SetClockAsync(DateTimeOffset? time = null, CancellationToken cancellationToken = default)
    {
        var seconds = (time ?? _options.TimeProvider.GetUtcNow()).ToUnixTimeSeconds();
        if (seconds is < 0 or > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, "outside the profile's 32-bit UTC seconds");
        }

        var values = new ushort[2];
        BarrierProfile.WriteUInt32(values, 0, (uint)seconds);
        await RunAsync(ct => WriteAsync(BarrierProfile.ClockRegister, values, ct), cancellationToken);
    }

    /// <summary>
    /// Inserts or replaces entries, 15 per transaction (staging, command and result in one function-23
    /// exchange), in UID order. Each batch is atomic on the controller; an earlier batch stays applied if a later one fails.
    /// </summary>
    /// <exception cref="ArgumentException">The same card appears twice.</exception>
    /// <exception cref="BarrierCommandException">The controller refused a batch (full, malformed, ...).</exception>
    public async Task<WhitelistChange> UpsertWhitelistAsync(IEnumerable<WhitelistEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var sorted = entries.ToArray();
        Array.Sort(sorted, (a, b) => a.Uid.CompareTo(b.Uid));
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].Uid == sorted[i - 1].Uid)
            {
                throw new ArgumentException($"card {sorted[i].Uid} appears twice", nameof(entries));
            }
        }

        return await RunBatchesAsync(
            BarrierCommand.Upsert,
            sorted.Length,
            BarrierProfile.MaxUpsertBatch,
            BarrierProfile.RecordRegisters,
            (index, span) => sorted[index].Write(span),
            index => sorted[index].Uid,
            cancellationToken);
    }

    /// <summary>Removes entries, 30 per transaction. Cards not on the controller are not an error.</summary>
    /// <exception cref="BarrierCommandException">The controller refused a batch.</exception>
    public async Task<WhitelistChange> DeleteWhitelistAsync(IEnumerable<CardUid> uids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uids);
        var sorted = uids.Distinct().Order().ToArray();
        return await RunBatchesAsync(
            BarrierCommand.Delete,
            sorted.Length,
            BarrierProfile.MaxDeleteBatch,
            BarrierProfile.UidFieldRegisters,
            (index, span) => sorted[index].WriteField(span),
            index => sorted[index],
            cancellationToken);
    }

    /// <summary>Removes every entry. One transaction.</summary>
    public async Task<WhitelistChange> ClearWhitelistAsync(CancellationToken cancellationToken = default)
    {
        var values = new[] { BarrierProfile.CommandValue(BarrierCommand.Clear, 0) };
        var r = await RunAsync(ct => ReadWriteAsync(BarrierProfile.ResultCodeRegister, ResultAndStateLength, BarrierProfile.CommandRegister, values, ct), cancellationToken);
        CheckResult(BarrierCommand.Clear, r, _ => null);
        return ToChange(1, r[1], r);
    }

    /// <summary>Compares the controller's count and digest with <paramref name="expected"/> in one read.</summary>
    public async Task<WhitelistDriftCheck> CheckDriftAsync(IEnumerable<WhitelistEntry> expected, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var list = expected as IReadOnlyCollection<WhitelistEntry> ?? [.. expected];
        var digest = WhitelistEntry.ComputeDigest(list);
        var r = await ReadAsync(BarrierProfile.CountRegister, 6, cancellationToken);
        return new WhitelistDriftCheck(list.Count, digest, (int)BarrierProfile.ReadUInt32(r, 0), BarrierProfile.ReadUInt64(r, 2));
    }

    /// <summary>Reads every record back, 15 per transaction, in UID order.</summary>
    /// <exception cref="BarrierProtocolException">A record breaks the profile.</exception>
    public async Task<IReadOnlyList<WhitelistEntry>> ReadWhitelistAsync(CancellationToken cancellationToken = default)
    {
        var (entries, _) = await ReadAllRecordsAsync(cancellationToken);
        return entries;
    }

    /// <summary>Reads every record back and lists each difference from <paramref name="expected"/>: missing, extra, different validity or blocked flag.</summary>
    public async Task<WhitelistAudit> AuditWhitelistAsync(IEnumerable<WhitelistEntry> expected, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var wanted = new Dictionary<CardUid, WhitelistEntry>();
        foreach (var entry in expected)
        {
            if (!wanted.TryAdd(entry.Uid, entry))
            {
                throw new ArgumentException($"card {entry.Uid} appears twice", nameof(expected));
            }
        }

        var (actual, transactions) = await ReadAllRecordsAsync(cancellationToken);
        var differences = new List<WhitelistDifference>();
        var seen = new HashSet<CardUid>();
        foreach (var entry in actual)
        {
            seen.Add(entry.Uid);
            if (!wanted.TryGetValue(entry.Uid, out var want))
            {
                differences.Add(new WhitelistDifference(WhitelistDifferenceKind.Extra, entry.Uid, null, entry));
            }
            else if (want != entry)
            {
                differences.Add(new WhitelistDifference(WhitelistDifferenceKind.Different, entry.Uid, want, entry));
            }
        }

        foreach (var want in wanted.Values.Where(w => !seen.Contains(w.Uid)).OrderBy(w => w.Uid))
        {
            differences.Add(new WhitelistDifference(WhitelistDifferenceKind.Missing, want.Uid, want, null));
        }

        return new WhitelistAudit(actual.Count, differences, transactions);
    }

    /// <summary>
    /// Makes the controller hold exactly <paramref name="expected"/> with the fewest bytes: one drift
    /// check; when it differs, a full audit, then deletes of the extra records and upserts of the
    /// missing and different ones, and a final drift check.
    /// </summary>
    /// <exception cref="BarrierCommandException">The controller refused a batch (full, ...).</exception>
    public async Task<WhitelistReconciliation> ReconcileWhitelistAsync(IEnumerable<WhitelistEntry> expected, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var list = expected as IReadOnlyCollection<WhitelistEntry> ?? [.. expected];
        var check = await CheckDriftAsync(list, cancellationToken);
        if (check.InSync)
        {
            return new WhitelistReconciliation([], 1, check);
        }

        var audit = await AuditWhitelistAsync(list, cancellationToken);
        var transactions = 1 + audit.Transactions;
        var extra = audit.Differences.Where(d => d.Kind == WhitelistDifferenceKind.Extra).Select(d => d.Uid).ToList();
        if (extra.Count > 0)
        {
            transactions += (await DeleteWhitelistAsync(extra, cancellationToken)).Transactions;
        }

        var upserts = audit.Differences.Where(d => d.Kind != WhitelistDifferenceKind.Extra).Select(d => d.Expected!.Value).ToList();
        if (upserts.Count > 0)
        {
            transactions += (await UpsertWhitelistAsync(upserts, cancellationToken)).Transactions;
        }

        var after = await CheckDriftAsync(list, cancellationToken);
        _logger.LogInformation("Barrier controller {Device} reconciled: {Differences} differences repaired in {Transactions} transactions, in sync {InSync}", Device, audit.Differences.Count, transactions + 1, after.InSync);
        return new WhitelistReconciliation(audit.Differences, transactions + 1, after);
    }

    /// <summary>
    /// Reads up to 12 unacknowledged events, oldest first. Nothing is acknowledged: store them, then call
    /// <see cref="AcknowledgeEventsAsync(BarrierEventBatch, CancellationToken)"/>; until then the same events are read again.
    /// One transaction of 5 registers when there are none (the usual poll: ~23 bytes on the wire instead of
    /// the whole 125-register window's 263, ~13 ms instead of ~150 ms at 19200 baud), else a second one
    /// reading the header again and just the events it announced.
    /// </summary>
    /// <exception cref="BarrierProtocolException">An event breaks the profile.</exception>
    public async Task<BarrierEventBatch> ReadEventsAsync(CancellationToken cancellationToken = default)
    {
        var header = await ReadAsync(BarrierProfile.EventWindowRegister, BarrierProfile.EventWindowHeaderLength, cancellationToken);
        var announced = CheckedCount(header[0]);
        var r = header;
        var count = 0;
        if (announced > 0)
        {
            // Only this driver acknowledges, so the oldest `announced` events are still the window's first ones
            // (more may have come meanwhile, or the controller restarted: the second header says which).
            r = await ReadAsync(BarrierProfile.EventWindowRegister, (ushort)(BarrierProfile.EventWindowHeaderLength + (announced * BarrierProfile.EventRegisters)), cancellationToken);
            count = Math.Min(CheckedCount(r[0]), announced);
        }

        var bootId = BarrierProfile.ReadUInt32(r, 1);
        var acknowledged = BarrierProfile.ReadUInt32(r, 3);
        var events = new BarrierEvent[count];
        for (var i = 0; i < count; i++)
        {
            var span = r.AsSpan(BarrierProfile.EventWindowHeaderLength + (i * BarrierProfile.EventRegisters), BarrierProfile.EventRegisters);
            if (!BarrierEvent.TryRead(span, out events[i]) || events[i].Sequence <= (i == 0 ? acknowledged : events[i - 1].Sequence))
            {
                throw new BarrierProtocolException(Device, Unit, $"event {i} of the window is not a valid event");
            }
        }

        var lost = count == 0 ? 0 : events[0].Sequence - acknowledged - 1;
        if (lost > 0)
        {
            _logger.LogWarning("Barrier controller {Device} lost {Lost} events to overflow after sequence {Acknowledged} (boot id {BootId})", Device, lost, acknowledged, bootId);
        }

        return new BarrierEventBatch(bootId, acknowledged, events, lost, count == BarrierProfile.EventWindowEvents || r[0] > count);
    }

    private int CheckedCount(ushort count) => count <= BarrierProfile.EventWindowEvents
        ? count
        : throw new BarrierProtocolException(Device, Unit, $"event window says {count} events, at most {BarrierProfile.EventWindowEvents} fit");

    /// <summary>
    /// Acknowledges every event of boot <paramref name="bootId"/> up to <paramref name="sequence"/>; call
    /// it once they are stored. One transaction. The controller refuses it if it has restarted since
    /// (another boot id), so events nobody has read are never acknowledged.
    /// </summary>
    /// <exception cref="BarrierAcknowledgeRejectedException">Another boot id, or a sequence the controller has not issued.</exception>
    public async Task AcknowledgeEventsAsync(uint bootId, uint sequence, CancellationToken cancellationToken = default)
    {
        var values = new ushort[4];
        BarrierProfile.WriteUInt32(values, 0, bootId);
        BarrierProfile.WriteUInt32(values, 2, sequence);
        try
        {
            await RunAsync(ct => WriteAsync(BarrierProfile.AcknowledgeBootIdRegister, values, ct), cancellationToken);
        }
        catch (ModbusExceptionReplyException ex) when (ex.Code == ModbusExceptionCode.IllegalDataValue)
        {
            throw new BarrierAcknowledgeRejectedException(Device, Unit, bootId, sequence, ex);
        }
    }

    /// <summary>Acknowledges <paramref name="batch"/> up to its last event (nothing to do when it is empty).</summary>
    /// <exception cref="BarrierAcknowledgeRejectedException">The controller restarted since the batch was read.</exception>
    public Task AcknowledgeEventsAsync(BarrierEventBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return batch.Events.Count == 0 ? Task.CompletedTask : AcknowledgeEventsAsync(batch.BootId, batch.LastSequence, cancellationToken);
    }

    /// <summary>Commands lane <paramref name="lane"/>'s arm up. One transaction; the arm takes its travel time.</summary>
    public Task RaiseArmAsync(int lane, CancellationToken cancellationToken = default) =>
        RunAsync(ct => _master.WriteSingleCoilAsync(Unit, BarrierProfile.RaiseCoil(CheckLane(lane)), true, ct), cancellationToken);

    /// <summary>
    /// Opens lane <paramref name="lane"/> from afar: raises its arm and, on a profile 1.1 controller, has it
    /// log the opening as an event (decision granted, reason <see cref="DenyReason.RemoteOpen"/>) whose UID
    /// field carries <paramref name="tag"/> (4 bytes, big-endian), so the collected event names the opening.
    /// One transaction. A 1.0 controller has no such block: its arm is raised by the coil and nothing is
    /// logged; the answer is false then. Call <see cref="IdentifyAsync"/> first.
    /// </summary>
    /// <param name="lane">1..lane count.</param>
    /// <param name="tag">The opening's tag, not 0.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    /// <returns>True when the controller logs the opening as an event.</returns>
    /// <exception cref="InvalidOperationException">The controller was not identified.</exception>
    /// <exception cref="DeviceException">The controller did not answer, or refused.</exception>
    public async Task<bool> OpenLaneAsync(int lane, uint tag, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfZero(tag);
        var identity = Identity ?? throw new InvalidOperationException("identify the controller before opening a lane");
        CheckLane(lane);
        if (identity.MinorVersion < BarrierProfile.RemoteOpenMinorVersion)
        {
            await RaiseArmAsync(lane, cancellationToken);
            return false;
        }

        var values = new ushort[BarrierProfile.RemoteOpenLength];
        values[0] = (ushort)lane;
        BarrierProfile.WriteUInt32(values, 1, tag);
        await RunAsync(ct => _master.WriteMultipleRegistersAsync(Unit, BarrierProfile.RemoteOpenRegister, values, ct), cancellationToken);
        return true;
    }

    /// <summary>The UID field a profile 1.1 controller logs for a remote opening with <paramref name="tag"/>.</summary>
    public static CardUid RemoteOpenUid(uint tag)
    {
        Span<byte> bytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, tag);
        return CardUid.FromBytes(bytes);
    }

    /// <summary>The tag of a remote opening's event (<see cref="DenyReason.RemoteOpen"/>): its 4-byte UID field read big-endian.</summary>
    public static bool TryReadRemoteOpenTag(in BarrierEvent e, out uint tag)
    {
        tag = 0;
        if (e.Reason != DenyReason.RemoteOpen || e.Uid.Length != 4)
        {
            return false;
        }

        tag = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(e.Uid.ToBytes());
        return tag != 0;
    }

    /// <summary>Commands lane <paramref name="lane"/>'s arm down (held by the controller while a vehicle is present). One transaction.</summary>
    public Task LowerArmAsync(int lane, CancellationToken cancellationToken = default) =>
        RunAsync(ct => _master.WriteSingleCoilAsync(Unit, BarrierProfile.LowerCoil(CheckLane(lane)), true, ct), cancellationToken);

    /// <summary>Reads lane <paramref name="lane"/>'s inputs and arm commands. Two transactions.</summary>
    public async Task<LaneStatus> ReadLaneStatusAsync(int lane, CancellationToken cancellationToken = default)
    {
        CheckLane(lane);
        var inputs = await RunAsync(ct => _master.ReadDiscreteInputsAsync(Unit, BarrierProfile.LaneInputs(lane), BarrierProfile.InputsPerLane, ct), cancellationToken);
        var coils = await RunAsync(ct => _master.ReadCoilsAsync(Unit, BarrierProfile.RaiseCoil(lane), 2, ct), cancellationToken);
        if (inputs.Length < BarrierProfile.InputsPerLane || coils.Length < 2)
        {
            throw new BarrierProtocolException(Device, Unit, "short lane reply");
        }

        return new LaneStatus(lane, inputs[0], inputs[1], inputs[2], inputs[3], coils[0], coils[1]);
    }

    private async Task<WhitelistChange> RunBatchesAsync(
        BarrierCommand command,
        int total,
        int batchSize,
        int registersPerItem,
        Action<int, Span<ushort>> write,
        Func<int, CardUid> uidAt,
        CancellationToken cancellationToken)
    {
        if (total == 0)
        {
            var state = await ReadAsync(BarrierProfile.ResultCodeRegister, ResultAndStateLength, cancellationToken);
            return ToChange(1, 0, state);
        }

        var changed = 0;
        var transactions = 0;
        ushort[] reply = [];
        var stopwatch = Stopwatch.StartNew();
        for (var start = 0; start < total; start += batchSize)
        {
            var n = Math.Min(batchSize, total - start);
            var values = new ushort[1 + (n * registersPerItem)];
            values[0] = BarrierProfile.CommandValue(command, n);
            for (var i = 0; i < n; i++)
            {
                write(start + i, values.AsSpan(1 + (i * registersPerItem), registersPerItem));
            }

            // Only the last batch reads count and digest back: the rest need just the result.
            var last = start + n >= total;
            var readLength = last ? ResultAndStateLength : (ushort)2;
            var batchStart = start;
            reply = await RunAsync(ct => ReadWriteAsync(BarrierProfile.ResultCodeRegister, readLength, BarrierProfile.CommandRegister, values, ct), cancellationToken);
            transactions++;
            CheckResult(command, reply, detail => detail < n ? uidAt(batchStart + detail) : null);
            changed += reply[1];
        }

        _logger.LogDebug("Barrier controller {Device}: {Command} of {Records} records in {Transactions} transactions, {ElapsedMs} ms", Device, command, total, transactions, stopwatch.ElapsedMilliseconds);
        return ToChange(transactions, changed, reply);
    }

    private static WhitelistChange ToChange(int transactions, int changed, ushort[] resultAndState) =>
        new(transactions, changed, (int)BarrierProfile.ReadUInt32(resultAndState, 2), BarrierProfile.ReadUInt64(resultAndState, 4));

    private void CheckResult(BarrierCommand command, ushort[] reply, Func<int, CardUid?> uidAt)
    {
        var code = (BarrierResultCode)reply[0];
        if (code == BarrierResultCode.Ok)
        {
            return;
        }

        var uid = code is BarrierResultCode.Full or BarrierResultCode.Duplicate or BarrierResultCode.MalformedUid or BarrierResultCode.InvalidPeriod ? uidAt(reply[1]) : null;
        throw new BarrierCommandException(Device, Unit, command, code, uid);
    }

    private async Task<(IReadOnlyList<WhitelistEntry> Entries, int Transactions)> ReadAllRecordsAsync(CancellationToken cancellationToken)
    {
        var count = (int)BarrierProfile.ReadUInt32(await ReadAsync(BarrierProfile.CountRegister, 2, cancellationToken), 0);
        var transactions = 1;
        var entries = new List<WhitelistEntry>(count);
        for (var index = 0; index < count; index += BarrierProfile.AuditWindowRecords)
        {
            var window = await RunAsync(ct => ReadWriteAsync(BarrierProfile.AuditWindowRegister, AuditWindowLength, BarrierProfile.AuditIndexRegister, new[] { (ushort)index }, ct), cancellationToken);
            transactions++;
            for (var i = 0; i < BarrierProfile.AuditWindowRecords && index + i < count; i++)
            {
                var span = window.AsSpan(i * BarrierProfile.RecordRegisters, BarrierProfile.RecordRegisters);
                if (span[0] == 0)
                {
                    // The whitelist shrank while we read it: what is left is what there is.
                    return (entries, transactions);
                }

                if (WhitelistEntry.TryRead(span, out var entry) != BarrierResultCode.Ok)
                {
                    throw new BarrierProtocolException(Device, Unit, $"record {index + i} is not a valid whitelist record");
                }

                entries.Add(entry);
            }
        }

        return (entries, transactions);
    }

    private int CheckLane(int lane)
    {
        var lanes = Identity?.Lanes ?? 255;
        if (lane < 1 || lane > lanes)
        {
            throw new ArgumentOutOfRangeException(nameof(lane), lane, $"lanes are 1..{lanes}");
        }

        return lane;
    }

    private Task<ushort[]> ReadAsync(ushort address, ushort count, CancellationToken cancellationToken) =>
        RunAsync(ct => ReadCheckedAsync(address, count, ct), cancellationToken);

    private async Task<ushort[]> ReadCheckedAsync(ushort address, ushort count, CancellationToken cancellationToken)
    {
        var r = await _master.ReadHoldingRegistersAsync(Unit, address, count, cancellationToken);
        return r.Length == count ? r : throw new BarrierProtocolException(Device, Unit, $"asked {count} registers, got {r.Length}");
    }

    private async Task<ushort[]> ReadWriteAsync(ushort readAddress, ushort readCount, ushort writeAddress, ushort[] values, CancellationToken cancellationToken)
    {
        var r = await _master.ReadWriteMultipleRegistersAsync(Unit, readAddress, readCount, writeAddress, values, cancellationToken);
        return r.Length == readCount ? r : throw new BarrierProtocolException(Device, Unit, $"asked {readCount} registers, got {r.Length}");
    }

    private Task WriteAsync(ushort address, ushort[] values, CancellationToken cancellationToken) =>
        _master.WriteMultipleRegistersAsync(Unit, address, values, cancellationToken);

    private async Task RunAsync(Func<CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        await RunAsync(
            async ct =>
            {
                await action(ct);
                return true;
            },
            cancellationToken);
    }

    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.TransactionTimeout);
        try
        {
            return await action(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            // Our bound fired, not the caller's token: that is the device not answering.
            throw new DeviceTimeoutException(Device, _options.TransactionTimeout);
        }
    }
}
