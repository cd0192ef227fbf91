using System.Buffers.Binary;

namespace Gateway.Drivers.Modbus.Codec;

/// <summary>One RTU application data unit: the unit (slave address) and the PDU, CRC checked and removed.</summary>
public readonly ref struct ModbusRtuFrame
{
    public ModbusRtuFrame(byte unit, ReadOnlySpan<byte> pdu)
    {
        Unit = unit;
        Pdu = pdu;
    }

    public byte Unit { get; }

    public ReadOnlySpan<byte> Pdu { get; }
}

/// <summary>
/// RTU framing (Modbus over Serial Line v1.02, section 2.5.1): unit, PDU, CRC-16 low byte first.
/// The end of a frame is found from the function code's length rules, so a decoder needs no timing;
/// silence on the line is left to the caller for resynchronising after garbage.
/// </summary>
public static class ModbusRtuCodec
{
    /// <summary>Unit + CRC around the PDU.</summary>
    public const int Overhead = 3;

    /// <summary>Writes unit, PDU and CRC into <paramref name="destination"/>; returns the frame length.</summary>
    public static int Encode(Span<byte> destination, byte unit, ReadOnlySpan<byte> pdu)
    {
        if (pdu.IsEmpty || pdu.Length > ModbusLimits.MaxPduLength)
        {
            throw new ArgumentOutOfRangeException(nameof(pdu), pdu.Length, $"a PDU is 1-{ModbusLimits.MaxPduLength} bytes");
        }

        destination[0] = unit; // 00 address
        pdu.CopyTo(destination[1..]); // 01.. PDU
        var length = 1 + pdu.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[length..], ModbusCrc.Compute(destination[..length])); // CRC low, high
        return length + 2;
    }

    /// <summary>Decodes a request (as a slave reads it) from the start of <paramref name="input"/>.</summary>
    /// <returns>False when more bytes are needed.</returns>
    /// <exception cref="ModbusCorruptFrameException">Unknown function code, impossible length or CRC mismatch.</exception>
    public static bool TryDecodeRequest(ReadOnlySpan<byte> input, out ModbusRtuFrame frame, out int consumed) =>
        TryDecode(input, request: true, out frame, out consumed);

    /// <summary>Decodes a reply (as a master reads it) from the start of <paramref name="input"/>.</summary>
    /// <returns>False when more bytes are needed.</returns>
    /// <exception cref="ModbusCorruptFrameException">Unknown function code, impossible length or CRC mismatch.</exception>
    public static bool TryDecodeResponse(ReadOnlySpan<byte> input, out ModbusRtuFrame frame, out int consumed) =>
        TryDecode(input, request: false, out frame, out consumed);

    private static bool TryDecode(ReadOnlySpan<byte> input, bool request, out ModbusRtuFrame frame, out int consumed)
    {
        frame = default;
        consumed = 0;
        if (input.Length < 2)
        {
            return false;
        }

        var pdu = input[1..];
        var pduLength = request ? ModbusPdu.RequestLength(pdu) : ModbusPdu.ResponseLength(pdu);
        if (pduLength == 0 || input.Length < pduLength + Overhead)
        {
            return false;
        }

        var total = pduLength + Overhead;
        if (!ModbusCrc.Check(input[..total]))
        {
            throw ModbusPdu.Corrupt($"CRC mismatch in a {total}-byte frame for unit {input[0]}");
        }

        frame = new ModbusRtuFrame(input[0], input.Slice(1, pduLength));
        consumed = total;
        return true;
    }
}
