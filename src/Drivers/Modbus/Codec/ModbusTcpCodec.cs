using System.Buffers.Binary;

namespace Gateway.Drivers.Modbus.Codec;

/// <summary>One Modbus TCP application data unit: MBAP header fields and the PDU.</summary>
public readonly ref struct ModbusTcpFrame
{
    public ModbusTcpFrame(ushort transactionId, byte unit, ReadOnlySpan<byte> pdu)
    {
        TransactionId = transactionId;
        Unit = unit;
        Pdu = pdu;
    }

    public ushort TransactionId { get; }

    public byte Unit { get; }

    public ReadOnlySpan<byte> Pdu { get; }
}

/// <summary>
/// Modbus TCP framing (Modbus Messaging on TCP/IP Implementation Guide v1.0b, section 3.1.3): the
/// MBAP header (transaction id, protocol id 0, length of unit + PDU, unit id), then the PDU.
/// </summary>
public static class ModbusTcpCodec
{
    /// <summary>Transaction id, protocol id, length, unit.</summary>
    public const int HeaderLength = 7;

    /// <summary>Writes the MBAP header and the PDU; returns the frame length.</summary>
    public static int Encode(Span<byte> destination, ushort transactionId, byte unit, ReadOnlySpan<byte> pdu)
    {
        if (pdu.IsEmpty || pdu.Length > ModbusLimits.MaxPduLength)
        {
            throw new ArgumentOutOfRangeException(nameof(pdu), pdu.Length, $"a PDU is 1-{ModbusLimits.MaxPduLength} bytes");
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, transactionId); // 00-01 transaction id
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0); // 02-03 protocol id (0 = Modbus)
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)(pdu.Length + 1)); // 04-05 length of what follows
        destination[6] = unit; // 06 unit id
        pdu.CopyTo(destination[HeaderLength..]); // 07.. PDU
        return HeaderLength + pdu.Length;
    }

    /// <summary>Decodes one frame from the start of <paramref name="input"/>.</summary>
    /// <returns>False when more bytes are needed.</returns>
    /// <exception cref="ModbusCorruptFrameException">A protocol id other than 0 or a length outside 2-254.</exception>
    public static bool TryDecode(ReadOnlySpan<byte> input, out ModbusTcpFrame frame, out int consumed)
    {
        frame = default;
        consumed = 0;
        if (input.Length >= 4 && BinaryPrimitives.ReadUInt16BigEndian(input[2..]) != 0)
        {
            throw ModbusPdu.Corrupt($"MBAP protocol id {BinaryPrimitives.ReadUInt16BigEndian(input[2..])} is not 0 (Modbus)");
        }

        if (input.Length < 6)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(input[4..]);
        if (length < 2 || length > ModbusLimits.MaxPduLength + 1)
        {
            throw ModbusPdu.Corrupt($"MBAP length {length} is outside 2-{ModbusLimits.MaxPduLength + 1}");
        }

        var total = 6 + length;
        if (input.Length < total)
        {
            return false;
        }

        frame = new ModbusTcpFrame(BinaryPrimitives.ReadUInt16BigEndian(input), input[6], input.Slice(HeaderLength, length - 1));
        consumed = total;
        return true;
    }
}
