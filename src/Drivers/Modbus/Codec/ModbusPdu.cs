using System.Buffers.Binary;

namespace Gateway.Drivers.Modbus.Codec;

/// <summary>
/// Protocol data units (function code + data) of the functions Gateway speaks: request encoders for
/// the master, the length rules that find where a PDU ends on a serial line, and the reply checks.
/// Pure: no I/O, no allocation unless a method returns an array. Offsets in comments are PDU offsets
/// (Modbus Application Protocol v1.1b3, section 6).
/// </summary>
public static class ModbusPdu
{
    /// <summary>Device of the corrupt-frame errors the codec throws; the master re-throws them with its endpoint.</summary>
    public const string CodecDevice = "modbus-codec";

    // ---------------------------------------------------------------- request encoders (master)

    /// <summary>Functions 01-04: writes the 5-byte request and returns its length.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Quantity outside the specification's limits or the address space.</exception>
    public static int WriteReadRequest(Span<byte> destination, byte function, ushort address, ushort quantity)
    {
        var max = function switch
        {
            ModbusFunction.ReadCoils or ModbusFunction.ReadDiscreteInputs => ModbusLimits.MaxReadBits,
            ModbusFunction.ReadHoldingRegisters or ModbusFunction.ReadInputRegisters => ModbusLimits.MaxReadRegisters,
            _ => throw new ArgumentOutOfRangeException(nameof(function), function, "not a read function (01-04)"),
        };
        CheckRange(address, quantity, max, nameof(quantity));
        destination[0] = function;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], address); // 01-02 starting address
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], quantity); // 03-04 quantity
        return 5;
    }

    /// <summary>Function 05: value true is sent as 0xFF00, false as 0x0000 (section 6.5).</summary>
    public static int WriteSingleCoilRequest(Span<byte> destination, ushort address, bool value)
    {
        destination[0] = ModbusFunction.WriteSingleCoil;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], address); // 01-02 output address
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], value ? (ushort)0xFF00 : (ushort)0x0000); // 03-04 output value
        return 5;
    }

    /// <summary>Function 06.</summary>
    public static int WriteSingleRegisterRequest(Span<byte> destination, ushort address, ushort value)
    {
        destination[0] = ModbusFunction.WriteSingleRegister;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], address); // 01-02 register address
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], value); // 03-04 register value
        return 5;
    }

    /// <summary>Function 15: 1-1968 coils, packed low bit first.</summary>
    public static int WriteMultipleCoilsRequest(Span<byte> destination, ushort address, ReadOnlySpan<bool> values)
    {
        CheckRange(address, values.Length, ModbusLimits.MaxWriteBits, nameof(values));
        var byteCount = (values.Length + 7) / 8;
        destination[0] = ModbusFunction.WriteMultipleCoils;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], address); // 01-02 starting address
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], (ushort)values.Length); // 03-04 quantity of outputs
        destination[5] = (byte)byteCount; // 05 byte count
        PackBits(values, destination.Slice(6, byteCount)); // 06.. outputs value
        return 6 + byteCount;
    }

    /// <summary>Function 16: 1-123 registers.</summary>
    public static int WriteMultipleRegistersRequest(Span<byte> destination, ushort address, ReadOnlySpan<ushort> values)
    {
        CheckRange(address, values.Length, ModbusLimits.MaxWriteRegisters, nameof(values));
        destination[0] = ModbusFunction.WriteMultipleRegisters;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], address); // 01-02 starting address
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], (ushort)values.Length); // 03-04 quantity of registers
        destination[5] = (byte)(values.Length * 2); // 05 byte count
        WriteRegisters(values, destination[6..]); // 06.. registers value
        return 6 + (values.Length * 2);
    }

    /// <summary>Function 23: reads 1-125 registers after writing 1-121 (section 6.17).</summary>
    public static int WriteReadWriteRequest(Span<byte> destination, ushort readAddress, ushort readQuantity, ushort writeAddress, ReadOnlySpan<ushort> values)
    {
        CheckRange(readAddress, readQuantity, ModbusLimits.MaxReadRegisters, nameof(readQuantity));
        CheckRange(writeAddress, values.Length, ModbusLimits.MaxReadWriteWriteRegisters, nameof(values));
        destination[0] = ModbusFunction.ReadWriteMultipleRegisters;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], readAddress); // 01-02 read starting address
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], readQuantity); // 03-04 quantity to read
        BinaryPrimitives.WriteUInt16BigEndian(destination[5..], writeAddress); // 05-06 write starting address
        BinaryPrimitives.WriteUInt16BigEndian(destination[7..], (ushort)values.Length); // 07-08 quantity to write
        destination[9] = (byte)(values.Length * 2); // 09 write byte count
        WriteRegisters(values, destination[10..]); // 10.. write registers value
        return 10 + (values.Length * 2);
    }

    /// <summary>Function 43/14: read device identification, stream access from <paramref name="objectId"/>.</summary>
    public static int WriteDeviceIdentificationRequest(Span<byte> destination, byte readDeviceIdCode = 0x01, byte objectId = 0x00)
    {
        destination[0] = ModbusFunction.EncapsulatedInterface;
        destination[1] = ModbusFunction.MeiReadDeviceIdentification; // 01 MEI type
        destination[2] = readDeviceIdCode; // 02 read device id code (01 basic stream)
        destination[3] = objectId; // 03 object id to start from
        return 4;
    }

    // ---------------------------------------------------------------- length rules (RTU framing)

    /// <summary>
    /// The length of the request PDU that starts <paramref name="pdu"/>, from its function code's
    /// rules; 0 when more bytes are needed to tell.
    /// </summary>
    /// <exception cref="ModbusCorruptFrameException">An unknown function code or an impossible length.</exception>
    public static int RequestLength(ReadOnlySpan<byte> pdu)
    {
        if (pdu.IsEmpty)
        {
            return 0;
        }

        switch (pdu[0])
        {
            case >= ModbusFunction.ReadCoils and <= ModbusFunction.WriteSingleRegister:
                return 5;
            case ModbusFunction.WriteMultipleCoils or ModbusFunction.WriteMultipleRegisters:
                return pdu.Length < 6 ? 0 : Checked(6 + pdu[5]);
            case ModbusFunction.ReadWriteMultipleRegisters:
                return pdu.Length < 10 ? 0 : Checked(10 + pdu[9]);
            case ModbusFunction.EncapsulatedInterface:
                if (pdu.Length < 2)
                {
                    return 0;
                }

                return pdu[1] == ModbusFunction.MeiReadDeviceIdentification
                    ? 4
                    : throw Corrupt($"function 43 with unknown MEI type {pdu[1]}");
            default:
                throw Corrupt($"unknown function code {pdu[0]}");
        }
    }

    /// <summary>
    /// The length of the reply PDU that starts <paramref name="pdu"/>, from its function code's
    /// rules; 0 when more bytes are needed to tell.
    /// </summary>
    /// <exception cref="ModbusCorruptFrameException">An unknown function code or an impossible length.</exception>
    public static int ResponseLength(ReadOnlySpan<byte> pdu)
    {
        if (pdu.IsEmpty)
        {
            return 0;
        }

        var function = pdu[0];
        if ((function & ModbusFunction.ExceptionFlag) != 0)
        {
            return IsKnown((byte)(function & 0x7F)) ? 2 : throw Corrupt($"exception reply to unknown function code {function & 0x7F}");
        }

        switch (function)
        {
            case >= ModbusFunction.ReadCoils and <= ModbusFunction.ReadInputRegisters:
            case ModbusFunction.ReadWriteMultipleRegisters:
                return pdu.Length < 2 ? 0 : Checked(2 + pdu[1]);
            case ModbusFunction.WriteSingleCoil or ModbusFunction.WriteSingleRegister:
            case ModbusFunction.WriteMultipleCoils or ModbusFunction.WriteMultipleRegisters:
                return 5;
            case ModbusFunction.EncapsulatedInterface:
                return DeviceIdentificationResponseLength(pdu);
            default:
                throw Corrupt($"unknown function code {function}");
        }
    }

    // ---------------------------------------------------------------- reply checks (master)

    /// <summary>
    /// Throws <see cref="ModbusExceptionReplyException"/> when <paramref name="reply"/> is an
    /// exception reply to <paramref name="function"/>.
    /// </summary>
    public static void ThrowIfException(ReadOnlySpan<byte> reply, byte function, string device, byte unit)
    {
        if (reply.Length >= 2 && reply[0] == (function | ModbusFunction.ExceptionFlag))
        {
            throw new ModbusExceptionReplyException(device, unit, function, (ModbusExceptionCode)reply[1]);
        }
    }

    /// <summary>
    /// Checks that <paramref name="reply"/> answers <paramref name="request"/>: an exception reply to
    /// its function, or the same function with the byte count its quantity implies (reads), the echo
    /// of the request (writes) or a well-formed object list (43/14).
    /// </summary>
    /// <returns>True for an exception reply (the caller reports it), false for a normal reply.</returns>
    /// <exception cref="ModbusCorruptFrameException">The reply does not answer the request.</exception>
    public static bool CheckResponse(ReadOnlySpan<byte> request, ReadOnlySpan<byte> reply)
    {
        var function = request[0];
        if (reply.Length == 2 && reply[0] == (function | ModbusFunction.ExceptionFlag))
        {
            return true;
        }

        ExpectFunction(reply, function);
        switch (function)
        {
            case ModbusFunction.ReadCoils or ModbusFunction.ReadDiscreteInputs:
                ExpectByteCount(reply, function, (BinaryPrimitives.ReadUInt16BigEndian(request[3..]) + 7) / 8);
                break;
            case ModbusFunction.ReadHoldingRegisters or ModbusFunction.ReadInputRegisters:
            case ModbusFunction.ReadWriteMultipleRegisters:
                ExpectByteCount(reply, function, BinaryPrimitives.ReadUInt16BigEndian(request[3..]) * 2);
                break;
            case ModbusFunction.WriteSingleCoil or ModbusFunction.WriteSingleRegister:
            case ModbusFunction.WriteMultipleCoils or ModbusFunction.WriteMultipleRegisters:
                WriteResponse(reply, request);
                break;
            case ModbusFunction.EncapsulatedInterface:
                _ = DeviceIdentificationResponse(reply, new Dictionary<byte, string>());
                break;
            default:
                throw Corrupt($"function {function} is not one this codec speaks");
        }

        return false;
    }

    /// <summary>Functions 01/02: checks the byte count against the quantity asked and unpacks the bits.</summary>
    /// <exception cref="ModbusCorruptFrameException">The reply does not fit the request.</exception>
    public static void ReadBitsResponse(ReadOnlySpan<byte> reply, byte function, Span<bool> destination)
    {
        var byteCount = (destination.Length + 7) / 8;
        ExpectFunction(reply, function);
        if (reply.Length < 2 || reply[1] != byteCount || reply.Length != 2 + byteCount)
        {
            throw Corrupt($"function {function}: byte count {(reply.Length < 2 ? -1 : reply[1])} does not fit {destination.Length} bits");
        }

        UnpackBits(reply.Slice(2, byteCount), destination);
    }

    /// <summary>Functions 03/04/23: checks the byte count against the quantity asked and reads the registers.</summary>
    /// <exception cref="ModbusCorruptFrameException">The reply does not fit the request.</exception>
    public static void ReadRegistersResponse(ReadOnlySpan<byte> reply, byte function, Span<ushort> destination)
    {
        ExpectFunction(reply, function);
        var byteCount = destination.Length * 2;
        if (reply.Length < 2 || reply[1] != byteCount || reply.Length != 2 + byteCount)
        {
            throw Corrupt($"function {function}: byte count {(reply.Length < 2 ? -1 : reply[1])} does not fit {destination.Length} registers");
        }

        ReadRegisters(reply.Slice(2, byteCount), destination);
    }

    /// <summary>Functions 05/06/15/16: the reply echoes the first five bytes of the request.</summary>
    /// <exception cref="ModbusCorruptFrameException">The echo differs from the request.</exception>
    public static void WriteResponse(ReadOnlySpan<byte> reply, ReadOnlySpan<byte> request)
    {
        if (reply.Length != 5 || !reply.SequenceEqual(request[..5]))
        {
            throw Corrupt($"function {request[0]}: the reply does not echo the request");
        }
    }

    /// <summary>Function 43/14: adds the objects of one reply to <paramref name="objects"/>; returns the next object id when more follow.</summary>
    /// <exception cref="ModbusCorruptFrameException">The reply is malformed.</exception>
    public static byte? DeviceIdentificationResponse(ReadOnlySpan<byte> reply, IDictionary<byte, string> objects)
    {
        if (reply.Length < 7 || reply[0] != ModbusFunction.EncapsulatedInterface || reply[1] != ModbusFunction.MeiReadDeviceIdentification)
        {
            throw Corrupt("function 43/14: malformed reply");
        }

        // 03 conformity level, 04 more follows (00/FF), 05 next object id, 06 number of objects
        var moreFollows = reply[4] == 0xFF;
        var next = reply[5];
        var count = reply[6];
        var offset = 7;
        for (var i = 0; i < count; i++)
        {
            if (offset + 2 > reply.Length || offset + 2 + reply[offset + 1] > reply.Length)
            {
                throw Corrupt("function 43/14: object list runs past the reply");
            }

            var id = reply[offset];
            var length = reply[offset + 1];
            objects[id] = System.Text.Encoding.ASCII.GetString(reply.Slice(offset + 2, length));
            offset += 2 + length;
        }

        if (offset != reply.Length)
        {
            throw Corrupt("function 43/14: bytes after the object list");
        }

        return moreFollows ? next : null;
    }

    // ---------------------------------------------------------------- helpers shared with the slave

    /// <summary>Packs bits low bit first, as every Modbus bit table is sent; unused high bits are zero.</summary>
    public static void PackBits(ReadOnlySpan<bool> values, Span<byte> destination)
    {
        destination[..((values.Length + 7) / 8)].Clear();
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i])
            {
                destination[i >> 3] |= (byte)(1 << (i & 7));
            }
        }
    }

    /// <summary>Unpacks <paramref name="destination"/>.Length bits, low bit first.</summary>
    public static void UnpackBits(ReadOnlySpan<byte> source, Span<bool> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (source[i >> 3] & (1 << (i & 7))) != 0;
        }
    }

    /// <summary>Writes registers big-endian.</summary>
    public static void WriteRegisters(ReadOnlySpan<ushort> values, Span<byte> destination)
    {
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[(i * 2)..], values[i]);
        }
    }

    /// <summary>Reads big-endian registers.</summary>
    public static void ReadRegisters(ReadOnlySpan<byte> source, Span<ushort> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadUInt16BigEndian(source[(i * 2)..]);
        }
    }

    internal static ModbusCorruptFrameException Corrupt(string message) => new(CodecDevice, message);

    private static bool IsKnown(byte function) => function is
        (>= ModbusFunction.ReadCoils and <= ModbusFunction.WriteSingleRegister)
        or ModbusFunction.WriteMultipleCoils or ModbusFunction.WriteMultipleRegisters
        or ModbusFunction.ReadWriteMultipleRegisters or ModbusFunction.EncapsulatedInterface;

    private static int Checked(int length) =>
        length <= ModbusLimits.MaxPduLength ? length : throw Corrupt($"a PDU of {length} bytes exceeds the {ModbusLimits.MaxPduLength}-byte limit");

    private static int DeviceIdentificationResponseLength(ReadOnlySpan<byte> pdu)
    {
        // 00 function, 01 MEI, 02 code, 03 conformity, 04 more follows, 05 next id, 06 count, then (id, length, value)*
        if (pdu.Length < 2)
        {
            return 0;
        }

        if (pdu[1] != ModbusFunction.MeiReadDeviceIdentification)
        {
            throw Corrupt($"function 43 with unknown MEI type {pdu[1]}");
        }

        if (pdu.Length < 7)
        {
            return 0;
        }

        var count = pdu[6];
        var offset = 7;
        for (var i = 0; i < count; i++)
        {
            if (pdu.Length < offset + 2)
            {
                return 0;
            }

            offset = Checked(offset + 2 + pdu[offset + 1]);
        }

        return offset;
    }

    private static void ExpectFunction(ReadOnlySpan<byte> reply, byte function)
    {
        if (reply.IsEmpty || reply[0] != function)
        {
            throw Corrupt($"expected a reply to function {function}, got function {(reply.IsEmpty ? -1 : reply[0])}");
        }
    }

    private static void ExpectByteCount(ReadOnlySpan<byte> reply, byte function, int byteCount)
    {
        if (reply.Length < 2 || reply[1] != byteCount || reply.Length != 2 + byteCount)
        {
            throw Corrupt($"function {function}: byte count {(reply.Length < 2 ? -1 : reply[1])} where {byteCount} was asked");
        }
    }

    private static void CheckRange(ushort address, int quantity, int max, string name)
    {
        if (quantity < 1 || quantity > max)
        {
            throw new ArgumentOutOfRangeException(name, quantity, $"quantity must be 1-{max}");
        }

        if (address + quantity > 0x10000)
        {
            throw new ArgumentOutOfRangeException(name, quantity, $"address {address} + quantity {quantity} runs past 65535");
        }
    }
}
