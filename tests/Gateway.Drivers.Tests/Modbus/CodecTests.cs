using Gateway.Drivers.Modbus;
using Gateway.Drivers.Modbus.Codec;

namespace Gateway.Drivers.Tests.Modbus;

/// <summary>
/// The codec against the examples of the Modbus Application Protocol v1.1b3 (section 6, PDUs
/// without address and CRC) and the serial line specification v1.02 (RTU frame and CRC).
/// </summary>
public sealed class CodecTests
{
    [Theory]
    [InlineData("313233343536373839", 0x4B37)] // CRC-16/MODBUS check value of "123456789"
    [InlineData("110300 6B0003", 0x8776)] // serial line spec: slave 17 reads 3 registers from 108, CRC sent 76 87
    [InlineData("010300000 00A", 0xCDC5)] // read 10 holding registers from unit 1, CRC sent C5 CD
    [InlineData("", 0xFFFF)]
    public void Crc_KnownVectors(string hex, int crc)
    {
        Assert.Equal((ushort)crc, ModbusCrc.Compute(Hex(hex)));
    }

    [Theory]
    [InlineData(ModbusFunction.ReadCoils, 0x0013, 0x0013, "0100130013")] // 6.1
    [InlineData(ModbusFunction.ReadDiscreteInputs, 0x00C4, 0x0016, "0200C40016")] // 6.2
    [InlineData(ModbusFunction.ReadHoldingRegisters, 0x006B, 0x0003, "03006B0003")] // 6.3
    [InlineData(ModbusFunction.ReadInputRegisters, 0x0008, 0x0001, "0400080001")] // 6.4
    public void ReadRequest_SpecExamples(byte function, int address, int quantity, string expected)
    {
        var pdu = new byte[5];
        Assert.Equal(5, ModbusPdu.WriteReadRequest(pdu, function, (ushort)address, (ushort)quantity));
        Assert.Equal(Hex(expected), pdu);
    }

    [Fact]
    public void WriteRequests_SpecExamples()
    {
        var pdu = new byte[253];
        Assert.Equal(Hex("0500ACFF00"), pdu[..ModbusPdu.WriteSingleCoilRequest(pdu, 0x00AC, true)]); // 6.5
        Assert.Equal(Hex("0600010003"), pdu[..ModbusPdu.WriteSingleRegisterRequest(pdu, 0x0001, 0x0003)]); // 6.6

        // 6.11: coils 20-29 = 1011 0011 (CD), 01: CD 01
        bool[] coils = [true, false, true, true, false, false, true, true, true, false];
        Assert.Equal(Hex("0F0013000A02CD01"), pdu[..ModbusPdu.WriteMultipleCoilsRequest(pdu, 0x0013, coils)]);

        // 6.12: registers 2 and 3 = 000A, 0102
        Assert.Equal(Hex("100001000204000A0102"), pdu[..ModbusPdu.WriteMultipleRegistersRequest(pdu, 0x0001, new ushort[] { 0x000A, 0x0102 })]);

        // 6.17: read 6 from 4 (address 3), write 3 at 15 (address 14) = 00FF x3
        Assert.Equal(Hex("170003000600 0E00030600FF00FF00FF"), pdu[..ModbusPdu.WriteReadWriteRequest(pdu, 0x0003, 0x0006, 0x000E, new ushort[] { 0xFF, 0xFF, 0xFF })]);

        // 6.21: basic device identification from object 0
        Assert.Equal(Hex("2B0E0100"), pdu[..ModbusPdu.WriteDeviceIdentificationRequest(pdu)]);
    }

    [Fact]
    public void Responses_SpecExamples_Parse()
    {
        var bits = new bool[19];
        ModbusPdu.ReadBitsResponse(Hex("0103CD6B05"), ModbusFunction.ReadCoils, bits); // 6.1: coils 20-38
        Assert.Equal([true, false, true, true, false, false, true, true, true, true, false, true, false, true, true, false, true, false, true], bits);

        var inputs = new bool[22];
        ModbusPdu.ReadBitsResponse(Hex("0203ACDB35"), ModbusFunction.ReadDiscreteInputs, inputs); // 6.2
        Assert.False(inputs[0]);
        Assert.True(inputs[2]);
        Assert.True(inputs[21]);

        var registers = new ushort[3];
        ModbusPdu.ReadRegistersResponse(Hex("0306022B00000064"), ModbusFunction.ReadHoldingRegisters, registers); // 6.3
        Assert.Equal(new ushort[] { 555, 0, 100 }, registers);

        var rw = new ushort[6];
        ModbusPdu.ReadRegistersResponse(Hex("170C00FE0ACD00010003000D00FF"), ModbusFunction.ReadWriteMultipleRegisters, rw); // 6.17
        Assert.Equal(new ushort[] { 0xFE, 0xACD, 1, 3, 0xD, 0xFF }, rw);

        Assert.False(ModbusPdu.CheckResponse(Hex("0F0013000A02CD01"), Hex("0F0013000A"))); // 6.11 reply
        Assert.False(ModbusPdu.CheckResponse(Hex("100001000204000A0102"), Hex("1000010002"))); // 6.12 reply
        Assert.True(ModbusPdu.CheckResponse(Hex("0104A10001"), Hex("8102"))); // section 7 example: illegal data address
    }

    [Fact]
    public void ExceptionReply_Throws_WithCodeAndName()
    {
        var error = Assert.Throws<ModbusExceptionReplyException>(() => ModbusPdu.ThrowIfException(Hex("8102"), 0x01, "tcp://x:502", 7));
        Assert.Equal(ModbusExceptionCode.IllegalDataAddress, error.Code);
        Assert.Equal("unit 7, function 1: illegal data address (2)", error.Message);
    }

    [Theory]
    [InlineData(0x01, "illegal function")]
    [InlineData(0x02, "illegal data address")]
    [InlineData(0x03, "illegal data value")]
    [InlineData(0x04, "server device failure")]
    [InlineData(0x05, "acknowledge")]
    [InlineData(0x06, "server device busy")]
    [InlineData(0x07, "negative acknowledge")]
    [InlineData(0x08, "memory parity error")]
    [InlineData(0x0A, "gateway path unavailable")]
    [InlineData(0x0B, "gateway target device failed to respond")]
    [InlineData(0x09, "exception 0x09")]
    public void ExceptionCodes_AllNamed(byte code, string name)
    {
        Assert.Equal(name, ((ModbusExceptionCode)code).Describe());
    }

    [Fact]
    public void CheckResponse_ByteCountOrEchoMismatch_IsCorrupt()
    {
        Assert.Throws<ModbusCorruptFrameException>(() => ModbusPdu.CheckResponse(Hex("0300000002"), Hex("03020001"))); // 2 asked, 1 given
        Assert.Throws<ModbusCorruptFrameException>(() => ModbusPdu.CheckResponse(Hex("0100000009"), Hex("010100"))); // 9 bits need 2 bytes
        Assert.Throws<ModbusCorruptFrameException>(() => ModbusPdu.CheckResponse(Hex("0600010003"), Hex("0600010004"))); // echo differs
        Assert.Throws<ModbusCorruptFrameException>(() => ModbusPdu.CheckResponse(Hex("0300000001"), Hex("04020001"))); // other function
    }

    [Fact]
    public void RtuFrame_EncodeDecode_RoundTrip_AndNeedsMoreWhenTruncated()
    {
        var frame = new byte[256];
        var length = ModbusRtuCodec.Encode(frame, 0x11, Hex("03006B0003"));
        Assert.Equal(Hex("1103006B00037687"), frame[..length]);
        Assert.True(ModbusRtuCodec.TryDecodeRequest(frame.AsSpan(0, length), out var decoded, out var consumed));
        Assert.Equal(8, consumed);
        Assert.Equal(0x11, decoded.Unit);
        Assert.Equal(Hex("03006B0003"), decoded.Pdu.ToArray());
        for (var cut = 0; cut < length; cut++)
        {
            Assert.False(ModbusRtuCodec.TryDecodeRequest(frame.AsSpan(0, cut), out _, out var none));
            Assert.Equal(0, none);
        }
    }

    [Fact]
    public void RtuFrame_TwoBackToBack_DecodedOneAtATime()
    {
        var buffer = new byte[64];
        var first = ModbusRtuCodec.Encode(buffer, 1, Hex("10000000020400010002"));
        var second = ModbusRtuCodec.Encode(buffer.AsSpan(first), 2, Hex("0100000008"));
        Assert.True(ModbusRtuCodec.TryDecodeRequest(buffer.AsSpan(0, first + second), out var a, out var consumed));
        Assert.Equal(1, a.Unit);
        Assert.Equal(first, consumed);
        Assert.True(ModbusRtuCodec.TryDecodeRequest(buffer.AsSpan(consumed, second), out var b, out _));
        Assert.Equal(2, b.Unit);
    }

    [Fact]
    public void RtuFrame_BadCrc_Throws()
    {
        Assert.Throws<ModbusCorruptFrameException>(() => ModbusRtuCodec.TryDecodeRequest(Hex("1103006B00037688"), out _, out _));
    }

    [Fact]
    public void RtuResponse_LengthRules_ForEveryFunction()
    {
        Assert.Equal(2 + 6, ModbusPdu.ResponseLength(Hex("0306")));
        Assert.Equal(5, ModbusPdu.ResponseLength(Hex("05")));
        Assert.Equal(5, ModbusPdu.ResponseLength(Hex("10")));
        Assert.Equal(2, ModbusPdu.ResponseLength(Hex("83")));
        Assert.Equal(0, ModbusPdu.ResponseLength(Hex("03")));
        Assert.Equal(14, ModbusPdu.ResponseLength(Hex("2B0E01810000 02 0001 41 0102 4243".Replace(" ", string.Empty, StringComparison.Ordinal))));
        Assert.Equal(0, ModbusPdu.ResponseLength(Hex("2B0E0181000002000141")));
        Assert.Throws<ModbusCorruptFrameException>(() => ModbusPdu.ResponseLength(Hex("41")));
        Assert.Throws<ModbusCorruptFrameException>(() => ModbusPdu.ResponseLength(Hex("C1")));
        Assert.Equal(6 + 4, ModbusPdu.RequestLength(Hex("100000000204")));
        Assert.Equal(0, ModbusPdu.RequestLength(Hex("1000000002")));

        // A byte count of 255 would make a 261-byte PDU: more than the 253 a PDU can be.
        Assert.Throws<ModbusCorruptFrameException>(() => ModbusPdu.RequestLength(Hex("1000000001FF")));
        Assert.Throws<ModbusCorruptFrameException>(() => ModbusPdu.RequestLength(Hex("2B0D")));
    }

    [Fact]
    public void DeviceIdentification_ReplyParsed_AndMoreFollowsReported()
    {
        var objects = new Dictionary<byte, string>();
        var next = ModbusPdu.DeviceIdentificationResponse(Hex("2B0E0181FF0502" + "0003414243" + "01025859"), objects);
        Assert.Equal((byte)5, next);
        Assert.Equal("ABC", objects[0]);
        Assert.Equal("XY", objects[1]);
        Assert.Throws<ModbusCorruptFrameException>(() => ModbusPdu.DeviceIdentificationResponse(Hex("2B0E0181000001" + "0009414243"), objects));
    }

    [Fact]
    public void Mbap_EncodeDecode_RoundTrip()
    {
        var buffer = new byte[260];
        var length = ModbusTcpCodec.Encode(buffer, 0x0102, 0xFF, Hex("0300000001"));
        Assert.Equal(Hex("010200000006FF0300000001"), buffer[..length]);
        Assert.True(ModbusTcpCodec.TryDecode(buffer.AsSpan(0, length), out var frame, out var consumed));
        Assert.Equal(length, consumed);
        Assert.Equal(0x0102, frame.TransactionId);
        Assert.Equal(0xFF, frame.Unit);
        Assert.Equal(Hex("0300000001"), frame.Pdu.ToArray());
        Assert.False(ModbusTcpCodec.TryDecode(buffer.AsSpan(0, length - 1), out _, out _));
    }

    [Theory]
    [InlineData("000100010006FF0300000001")] // protocol id 1
    [InlineData("000100000001FF")] // length 1: no PDU
    [InlineData("000100000100FF")] // length 256: more than a PDU can be
    public void Mbap_Invalid_Throws(string hex)
    {
        Assert.Throws<ModbusCorruptFrameException>(() => ModbusTcpCodec.TryDecode(Hex(hex), out _, out _));
    }

    [Fact]
    public void Limits_EnforcedByEncoders()
    {
        var pdu = new byte[300];
        Assert.Equal(5, ModbusPdu.WriteReadRequest(pdu, 3, 0, 125));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModbusPdu.WriteReadRequest(pdu, 3, 0, 126));
        Assert.Equal(5, ModbusPdu.WriteReadRequest(pdu, 1, 0, 2000));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModbusPdu.WriteReadRequest(pdu, 2, 0, 2001));
        Assert.Equal(6 + 246, ModbusPdu.WriteMultipleRegistersRequest(pdu, 0, new ushort[123]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModbusPdu.WriteMultipleRegistersRequest(pdu, 0, new ushort[124]));
        Assert.Equal(6 + 246, ModbusPdu.WriteMultipleCoilsRequest(pdu, 0, new bool[1968]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModbusPdu.WriteMultipleCoilsRequest(pdu, 0, new bool[1969]));
        Assert.Equal(10 + 242, ModbusPdu.WriteReadWriteRequest(pdu, 0, 125, 0, new ushort[121]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModbusPdu.WriteReadWriteRequest(pdu, 0, 125, 0, new ushort[122]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModbusPdu.WriteReadRequest(pdu, 3, 65535, 2));
    }

    [Theory]
    [InlineData("0100000000", "8103")] // quantity 0
    [InlineData("01000007D1", "8103")] // 2001 coils
    [InlineData("030000007E", "8303")] // 126 registers
    [InlineData("04FFFF0002", "8402")] // past 65535
    [InlineData("0F0000000101FF01", "8F03")] // byte count 1 but 2 data bytes
    [InlineData("100000007C", "9003")] // truncated
    [InlineData("41", "C101")] // unknown function
    [InlineData("2B0E0100", "AB01")] // no identification served
    public void SlaveLogic_RefusesBadRequests_WithTheSpecExceptionCode(string request, string reply)
    {
        var buffer = new byte[253];
        var length = ModbusSlaveLogic.Handle(new ModbusMemoryModel(100), Hex(request), buffer);
        Assert.Equal(Hex(reply), buffer[..length]);
    }

    internal static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));
}
