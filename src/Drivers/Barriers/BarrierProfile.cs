namespace Gateway.Drivers.Barriers;

/// <summary>
/// The register map of the controller profile gateway-barrier/1 (docs/barrier-profile.md). Shared by
/// the driver and the simulated controller; callers of <see cref="BarrierController"/> never see it.
/// All tables are 0-based protocol addresses. Registers are big-endian (Modbus); a 32-bit value
/// occupies two registers, high word first at the lower address; a 64-bit value four, high word first.
/// </summary>
public static class BarrierProfile
{
    /// <summary>"GB" in ASCII.</summary>
    public const ushort Magic = 0x4742;

    /// <summary>Profile major version this code speaks.</summary>
    public const byte MajorVersion = 1;

    /// <summary>Profile minor version this code speaks (minor versions only add; 1.1 added the logged remote opening, 1.2 the open time).</summary>
    public const byte MinorVersion = 2;

    /// <summary>The first minor version with the remote-opening block (registers 153-155).</summary>
    public const byte RemoteOpenMinorVersion = 1;

    /// <summary>The first minor version with the open time (register 30).</summary>
    public const byte OpenTimeMinorVersion = 2;

    /// <summary>The longest open time register 30 takes, in seconds.</summary>
    public const ushort MaxOpenSeconds = 3600;

    /// <summary>Profile name as written in docs and configuration.</summary>
    public const string Name = "gateway-barrier/1";

    // Identification block (read-only).
    public const ushort MagicRegister = 0;
    public const ushort VersionRegister = 1;
    public const ushort CapacityRegister = 2;          // uint32
    public const ushort LaneCountRegister = 4;
    public const ushort EventCapacityRegister = 5;
    public const ushort FirmwareIdRegister = 6;        // uint32
    public const ushort BootIdRegister = 8;            // uint32

    // Status block.
    public const ushort ClockRegister = 10;            // uint32 UTC seconds, read/write (both registers in one write)
    public const ushort ResultCodeRegister = 12;       // read-only
    public const ushort ResultDetailRegister = 13;     // read-only
    public const ushort CountRegister = 14;            // uint32, read-only
    public const ushort DigestRegister = 16;           // 64-bit, read-only
    public const ushort LastSequenceRegister = 20;     // uint32, read-only
    public const ushort OverflowRegister = 22;         // uint32, read-only
    public const ushort AcknowledgeBootIdRegister = 24; // uint32, read/write: reads the boot id; written with 26-27 in one request
    public const ushort AcknowledgedRegister = 26;     // uint32, read/write (with 24-25, four registers in one write)
    public const ushort OptionsRegister = 28;          // read/write
    public const ushort LaneDirectionsRegister = 29;   // read/write
    public const ushort OpenTimeRegister = 30;         // read/write (profile 1.2; reserved, reads 0, before)
    public const ushort StatusBlockLength = 32;        // 0..31, 31 reserved (read 0)

    // Command block.
    public const ushort CommandRegister = 32;          // write-only (reads 0)
    public const ushort StagingRegister = 33;
    public const ushort StagingLength = 120;

    // Remote opening (profile 1.1): lane (u16) and tag (u32), written together in one request.
    public const ushort RemoteOpenRegister = 153;
    public const ushort RemoteOpenLength = 3;

    // Audit window.
    public const ushort AuditIndexRegister = 160;      // read/write
    public const ushort AuditWindowRegister = 161;     // read-only
    public const int AuditWindowRecords = 15;

    // Event window.
    public const ushort EventWindowRegister = 288;     // header: count, boot id (2), acknowledged sequence (2); then events
    public const ushort EventWindowHeaderLength = 5;
    public const int EventWindowEvents = 12;

    /// <summary>One past the last holding register of the map.</summary>
    public const ushort HoldingRegisterEnd = EventWindowRegister + EventWindowHeaderLength + (EventWindowEvents * EventRegisters);

    /// <summary>Registers per whitelist record: UID field (4), valid-from (2), valid-to (2).</summary>
    public const int RecordRegisters = 8;

    /// <summary>Registers per UID field: byte 0 = flags (high nibble) and UID length (low nibble), bytes 1-7 = UID, zero-padded.</summary>
    public const int UidFieldRegisters = 4;

    /// <summary>Registers per event: sequence (2), time (2), UID field (4), lane/direction, decision/reason.</summary>
    public const int EventRegisters = 10;

    /// <summary>Records in one upsert batch (staging holds 120 registers).</summary>
    public const int MaxUpsertBatch = StagingLength / RecordRegisters;

    /// <summary>UIDs in one delete batch.</summary>
    public const int MaxDeleteBatch = StagingLength / UidFieldRegisters;

    /// <summary>Flag bit in the UID field's byte 0: the entry is blocked (presenting it is denied with reason blocked).</summary>
    public const byte BlockedFlag = 0x10;

    /// <summary>Bit 0 of the options register: anti-passback enforced.</summary>
    public const ushort AntiPassbackOption = 0x0001;

    /// <summary>Coil that raises lane <paramref name="lane"/>'s arm (lanes count from 1).</summary>
    public static ushort RaiseCoil(int lane) => (ushort)(2 * (lane - 1));

    /// <summary>Coil that lowers lane <paramref name="lane"/>'s arm.</summary>
    public static ushort LowerCoil(int lane) => (ushort)((2 * (lane - 1)) + 1);

    /// <summary>First of lane <paramref name="lane"/>'s four discrete inputs: arm up, arm down, vehicle present, fault.</summary>
    public static ushort LaneInputs(int lane) => (ushort)(4 * (lane - 1));

    /// <summary>Discrete inputs per lane.</summary>
    public const int InputsPerLane = 4;

    /// <summary>The value of the command register: opcode in the high byte, record count in the low byte.</summary>
    public static ushort CommandValue(BarrierCommand command, int count) => (ushort)(((int)command << 8) | count);

    /// <summary>Reads a 32-bit value from two registers, high word first.</summary>
    public static uint ReadUInt32(ReadOnlySpan<ushort> registers, int offset) => ((uint)registers[offset] << 16) | registers[offset + 1];

    /// <summary>Writes a 32-bit value into two registers, high word first.</summary>
    public static void WriteUInt32(Span<ushort> registers, int offset, uint value)
    {
        registers[offset] = (ushort)(value >> 16);
        registers[offset + 1] = (ushort)value;
    }

    /// <summary>Reads a 64-bit value from four registers, high word first.</summary>
    public static ulong ReadUInt64(ReadOnlySpan<ushort> registers, int offset) =>
        ((ulong)ReadUInt32(registers, offset) << 32) | ReadUInt32(registers, offset + 2);

    /// <summary>Writes a 64-bit value into four registers, high word first.</summary>
    public static void WriteUInt64(Span<ushort> registers, int offset, ulong value)
    {
        WriteUInt32(registers, offset, (uint)(value >> 32));
        WriteUInt32(registers, offset + 2, (uint)value);
    }
}

/// <summary>Opcodes of the command register (high byte).</summary>
public enum BarrierCommand : byte
{
    /// <summary>Insert or replace the N records in staging.</summary>
    Upsert = 0x01,

    /// <summary>Remove the N UID fields in staging (absent UIDs are not an error).</summary>
    Delete = 0x02,

    /// <summary>Remove every record (count 0).</summary>
    Clear = 0x03,
}

/// <summary>Value of the result-code register after a command.</summary>
public enum BarrierResultCode : ushort
{
    /// <summary>No command since boot.</summary>
    Idle = 0,

    /// <summary>Applied; the detail register holds the number of records inserted, changed or removed.</summary>
    Ok = 1,

    /// <summary>The upsert would exceed capacity; nothing applied; detail = batch index of the first record that does not fit.</summary>
    Full = 2,

    /// <summary>The same UID appears twice in one batch; nothing applied; detail = index of the second occurrence.</summary>
    Duplicate = 3,

    /// <summary>A UID field has a length other than 4 or 7, non-zero padding or reserved flag bits; nothing applied; detail = index.</summary>
    MalformedUid = 4,

    /// <summary>A record's valid-to is before its valid-from; nothing applied; detail = index.</summary>
    InvalidPeriod = 5,

    /// <summary>Opcode not known; nothing applied.</summary>
    UnknownCommand = 6,

    /// <summary>Record count 0 or beyond the batch maximum (or not 0 for clear); nothing applied.</summary>
    BadCount = 7,
}

/// <summary>Direction of a lane.</summary>
public enum LaneDirection : byte
{
    Entry = 0,
    Exit = 1,
}

/// <summary>The controller's decision for a presented card.</summary>
public enum AccessDecision : byte
{
    Granted = 0,
    Denied = 1,
}

/// <summary>Why a card was denied (<see cref="None"/> when granted).</summary>
public enum DenyReason : byte
{
    None = 0,
    Unknown = 1,
    Expired = 2,
    NotYetValid = 3,
    Blocked = 4,
    AntiPassback = 5,

    /// <summary>Not a denial: the arm was raised by a remote opening (profile 1.1); the event is granted and its UID field carries the opening's tag.</summary>
    RemoteOpen = 6,
}
