using Gateway.Drivers.Modbus;
using Gateway.Drivers.Modbus.Codec;
using Xunit.Abstractions;

namespace Gateway.Drivers.Tests.Modbus;

/// <summary>
/// Decoders fed random, truncated and mutated bytes: they return "need more", a frame, or throw
/// their own corrupt-frame error — nothing else — and never depend on bytes past what they consumed.
/// </summary>
public sealed class CodecPropertyTests
{
    private const int Inputs = 120_000;
    private readonly ITestOutputHelper _output;

    public CodecPropertyTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void Decoders_RandomTruncatedAndMutatedInputs_OnlyCorruptFrameErrors()
    {
        var seed = Environment.GetEnvironmentVariable("GATEWAY_FUZZ_SEED") is { } fixedSeed ? int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        _output.WriteLine($"seed {seed} (set GATEWAY_FUZZ_SEED to replay)");
        var random = new Random(seed);
        var valid = ValidFrames();
        var counts = new int[3];
        var input = new byte[400];
        for (var i = 0; i < Inputs; i++)
        {
            var length = Make(random, valid, input);
            var span = input.AsSpan(0, length);
            try
            {
                counts[Check(span, seed, i)]++;
            }
            catch (ModbusCorruptFrameException)
            {
                counts[2]++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {seed}, input {i} ({Convert.ToHexString(span)}): {ex.GetType().Name}: {ex.Message}");
            }
        }

        _output.WriteLine($"need more {counts[0]}, frames {counts[1]}, corrupt {counts[2]}");

        // The mix exercised every outcome.
        Assert.All(counts, c => Assert.True(c > 1000, $"seed {seed}: outcome counts {string.Join(",", counts)}"));
    }

    /// <summary>Runs every decoder over <paramref name="input"/>; 0 = all need more, 1 = some frame.</summary>
    private static int Check(ReadOnlySpan<byte> input, int seed, int index)
    {
        var framed = 0;
        var errors = 0;
        try
        {
            if (ModbusRtuCodec.TryDecodeRequest(input, out var request, out var consumed))
            {
                framed = 1;
                AssertPrefixStable(input, consumed, seed, index, static (ReadOnlySpan<byte> s, out int c) => ModbusRtuCodec.TryDecodeRequest(s, out _, out c));
                Assert.True(request.Pdu.Length == consumed - 3, $"seed {seed}, input {index}: PDU length");
                ExerciseSlave(request.Pdu);
            }
        }
        catch (ModbusCorruptFrameException)
        {
            errors++;
        }

        try
        {
            if (ModbusRtuCodec.TryDecodeResponse(input, out var response, out var consumed))
            {
                framed = 1;
                AssertPrefixStable(input, consumed, seed, index, static (ReadOnlySpan<byte> s, out int c) => ModbusRtuCodec.TryDecodeResponse(s, out _, out c));
                ExerciseMaster(response.Pdu);
            }
        }
        catch (ModbusCorruptFrameException)
        {
            errors++;
        }

        try
        {
            if (ModbusTcpCodec.TryDecode(input, out var frame, out var consumed))
            {
                framed = 1;
                AssertPrefixStable(input, consumed, seed, index, static (ReadOnlySpan<byte> s, out int c) => ModbusTcpCodec.TryDecode(s, out _, out c));
                ExerciseSlave(frame.Pdu);
                ExerciseMaster(frame.Pdu);
            }
        }
        catch (ModbusCorruptFrameException)
        {
            errors++;
        }

        if (errors == 3)
        {
            throw new ModbusCorruptFrameException("fuzz", "all three decoders refused");
        }

        return framed;
    }

    private delegate bool Decoder(ReadOnlySpan<byte> input, out int consumed);

    /// <summary>A frame found in the input is found the same in exactly its own bytes: nothing past it was read.</summary>
    private static void AssertPrefixStable(ReadOnlySpan<byte> input, int consumed, int seed, int index, Decoder decode)
    {
        Assert.InRange(consumed, 1, input.Length);
        var exact = input[..consumed].ToArray();
        Assert.True(decode(exact, out var again) && again == consumed, $"seed {seed}, input {index}: frame depends on bytes past it");
    }

    private static void ExerciseSlave(ReadOnlySpan<byte> pdu)
    {
        Span<byte> reply = stackalloc byte[253];
        var model = new ModbusMemoryModel(64) { DeviceIdentification = new Dictionary<byte, string> { [0] = "V", [1] = "P", [2] = "1" } };
        var length = ModbusSlaveLogic.Handle(model, pdu, reply);
        Assert.InRange(length, pdu.IsEmpty ? 0 : 2, 253);
    }

    private static void ExerciseMaster(ReadOnlySpan<byte> pdu)
    {
        // Check the reply against a few requests it could answer; only corrupt-frame errors may come out.
        byte[][] requests = [[0x03, 0, 0, 0, 2], [0x01, 0, 0, 0, 9], [0x06, 0, 1, 0, 3], [0x2B, 0x0E, 1, 0], [0x17, 0, 0, 0, 1, 0, 0, 0, 1, 2, 0, 0]];
        foreach (var request in requests)
        {
            try
            {
                ModbusPdu.CheckResponse(request, pdu);
            }
            catch (ModbusCorruptFrameException)
            {
            }
        }
    }

    private static int Make(Random random, byte[][] valid, byte[] buffer)
    {
        switch (random.Next(4))
        {
            case 0:
            {
                // Pure noise of any length, biased to short.
                var length = random.Next(2) == 0 ? random.Next(12) : random.Next(buffer.Length);
                random.NextBytes(buffer.AsSpan(0, length));
                return length;
            }

            case 1:
            {
                // A valid frame cut short.
                var frame = valid[random.Next(valid.Length)];
                var length = random.Next(frame.Length + 1);
                frame.AsSpan(0, length).CopyTo(buffer);
                return length;
            }

            case 2:
            {
                // A valid frame with a few bytes changed (CRC then usually fails, lengths go wild).
                var frame = valid[random.Next(valid.Length)];
                frame.CopyTo(buffer, 0);
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    buffer[random.Next(frame.Length)] = (byte)random.Next(256);
                }

                return frame.Length;
            }

            default:
            {
                // A valid frame followed by noise or by another frame.
                var frame = valid[random.Next(valid.Length)];
                frame.CopyTo(buffer, 0);
                var extra = random.Next(buffer.Length - frame.Length);
                random.NextBytes(buffer.AsSpan(frame.Length, extra));
                return frame.Length + extra;
            }
        }
    }

    private static byte[][] ValidFrames()
    {
        var pdus = new List<byte[]>();
        var scratch = new byte[253];
        pdus.Add(scratch[..ModbusPdu.WriteReadRequest(scratch, 3, 0x6B, 3)]);
        pdus.Add(scratch[..ModbusPdu.WriteReadRequest(scratch, 1, 0, 2000)]);
        pdus.Add(scratch[..ModbusPdu.WriteSingleCoilRequest(scratch, 5, true)]);
        pdus.Add(scratch[..ModbusPdu.WriteMultipleCoilsRequest(scratch, 0, new bool[1968])]);
        pdus.Add(scratch[..ModbusPdu.WriteMultipleRegistersRequest(scratch, 0, new ushort[123])]);
        pdus.Add(scratch[..ModbusPdu.WriteReadWriteRequest(scratch, 0, 125, 0, new ushort[121])]);
        pdus.Add(scratch[..ModbusPdu.WriteDeviceIdentificationRequest(scratch)]);
        pdus.Add(CodecTests.Hex("0306022B00000064"));
        pdus.Add(CodecTests.Hex("0103CD6B05"));
        pdus.Add(CodecTests.Hex("8302"));
        pdus.Add(CodecTests.Hex("0500ACFF00"));
        pdus.Add(CodecTests.Hex("2B0E0181FF050200034142430102585A"));
        var frames = new List<byte[]>();
        var buffer = new byte[260];
        foreach (var pdu in pdus)
        {
            frames.Add(buffer[..ModbusRtuCodec.Encode(buffer, 1, pdu)]);
            frames.Add(buffer[..ModbusTcpCodec.Encode(buffer, 7, 1, pdu)]);
        }

        return [.. frames];
    }
}
