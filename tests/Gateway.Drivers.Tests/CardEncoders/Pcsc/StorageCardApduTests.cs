using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Drivers.CardEncoders.Pcsc;

namespace Gateway.Drivers.Tests.CardEncoders.Pcsc;

/// <summary>
/// The storage-card commands against the byte examples of the ACR122U API v2.04 (§4.1 Get Data,
/// §5.1 Load Authentication Keys, §5.2 Authentication, §5.3 Read Binary Blocks, §5.4 Update Binary
/// Blocks), and the ATRs of Gemalto's Prox-DU PC/SC guide (DOC119811A, table 15-17 examples).
/// </summary>
public sealed class StorageCardApduTests
{
    private static byte[] Encode(Func<byte[], int> write)
    {
        var buffer = new byte[StorageCardApdu.MaxCommandLength];
        return buffer[..write(buffer)];
    }

    [Fact]
    public void GetUid_IsFFCA000000()
    {
        Assert.Equal(Convert.FromHexString("FFCA000000"), Encode(b => StorageCardApdu.WriteGetUid(b)));
    }

    [Fact]
    public void LoadKey_AcsExample_TransportKeyIntoSlot0()
    {
        byte[] key = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        Assert.Equal(Convert.FromHexString("FF82000006FFFFFFFFFFFF"), Encode(b => StorageCardApdu.WriteLoadKey(b, 0x00, 0x00, key)));
    }

    [Fact]
    public void GeneralAuthenticate_AcsExample_Block4KeyASlot0()
    {
        Assert.Equal(Convert.FromHexString("FF860000050100046000"), Encode(b => StorageCardApdu.WriteGeneralAuthenticate(b, 4, MifareKeySlot.A, 0x00)));
        Assert.Equal(Convert.FromHexString("FF8600000501003F6101"), Encode(b => StorageCardApdu.WriteGeneralAuthenticate(b, 63, MifareKeySlot.B, 0x01)));
    }

    [Fact]
    public void ReadAndUpdateBinary_AcsExamples_Block4()
    {
        Assert.Equal(Convert.FromHexString("FFB0000410"), Encode(b => StorageCardApdu.WriteReadBinary(b, 4)));
        var data = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        Assert.Equal(Convert.FromHexString("FFD6000410000102030405060708090A0B0C0D0E0F"), Encode(b => StorageCardApdu.WriteUpdateBinary(b, 4, data)));
    }

    [Fact]
    public void Encoders_BadArguments_Throw()
    {
        var buffer = new byte[32];
        Assert.Throws<ArgumentException>(() => StorageCardApdu.WriteLoadKey(buffer, 0, 0, new byte[5]));
        Assert.Throws<ArgumentException>(() => StorageCardApdu.WriteUpdateBinary(buffer, 4, new byte[15]));
        Assert.Throws<ArgumentOutOfRangeException>(() => StorageCardApdu.WriteReadBinary(buffer, 256));
    }

    [Fact]
    public void Decode_EveryEncodedCommand_RoundTrips()
    {
        byte[] key = [1, 2, 3, 4, 5, 6];
        var data = Enumerable.Range(100, 16).Select(i => (byte)i).ToArray();

        Assert.True(StorageCardApdu.TryDecode(Encode(b => StorageCardApdu.WriteGetUid(b)), out var getUid));
        Assert.Equal((StorageCardCommandKind.GetUid, 256), (getUid.Kind, getUid.Le));

        Assert.True(StorageCardApdu.TryDecode(Encode(b => StorageCardApdu.WriteLoadKey(b, 0, 1, key)), out var load));
        Assert.Equal((StorageCardCommandKind.LoadKey, (byte)1), (load.Kind, load.KeyNumber));
        Assert.Equal(key, load.Data);

        Assert.True(StorageCardApdu.TryDecode(Encode(b => StorageCardApdu.WriteGeneralAuthenticate(b, 200, MifareKeySlot.B, 1)), out var auth));
        Assert.Equal((StorageCardCommandKind.Authenticate, 200, StorageCardApdu.KeyTypeB, (byte)1), (auth.Kind, auth.Block, auth.KeyType, auth.KeyNumber));

        Assert.True(StorageCardApdu.TryDecode(Encode(b => StorageCardApdu.WriteReadBinary(b, 9)), out var read));
        Assert.Equal((StorageCardCommandKind.ReadBinary, 9, 16), (read.Kind, read.Block, read.Le));

        Assert.True(StorageCardApdu.TryDecode(Encode(b => StorageCardApdu.WriteUpdateBinary(b, 9, data)), out var update));
        Assert.Equal((StorageCardCommandKind.UpdateBinary, 9), (update.Kind, update.Block));
        Assert.Equal(data, update.Data);
    }

    [Fact]
    public void Decode_ObsoleteAuthenticate_FF88()
    {
        // ACR122U API v2.04 §5.2: FF 88 00 block type number (PC/SC 2.01).
        Assert.True(StorageCardApdu.TryDecode(Convert.FromHexString("FF8800046000"), out var auth));
        Assert.Equal((StorageCardCommandKind.Authenticate, 4, StorageCardApdu.KeyTypeA, (byte)0), (auth.Kind, auth.Block, auth.KeyType, auth.KeyNumber));
    }

    [Theory]
    [InlineData("00A4040000")]          // an ISO SELECT: another class
    [InlineData("FF00480000")]          // an ACS escape (firmware version), not a storage-card command
    [InlineData("FF82000005FFFFFFFFFF")] // a 5-byte key
    [InlineData("FF8600000502000460")]  // Lc says 5, 4 bytes follow
    [InlineData("FFCA000100")]          // GET DATA with P2 = 01
    public void Decode_NotAStorageCardCommand_IsOther(string hex)
    {
        Assert.True(StorageCardApdu.TryDecode(Convert.FromHexString(hex), out var command));
        Assert.Equal(StorageCardCommandKind.Other, command.Kind);
    }

    [Fact]
    public void Decode_RandomBytes_NeverThrows()
    {
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        var buffer = new byte[40];
        for (var i = 0; i < 50_000; i++)
        {
            random.NextBytes(buffer);
            if (random.Next(2) == 0)
            {
                buffer[0] = 0xFF;
            }

            var length = random.Next(buffer.Length);
            var decoded = StorageCardApdu.TryDecode(buffer.AsSpan(0, length), out var command);
            Assert.True(decoded == length >= 4, $"seed {seed}");
            Assert.True(command.Kind == StorageCardCommandKind.Other || buffer[0] == 0xFF, $"seed {seed}");
        }
    }

    [Fact]
    public void Response_SplitsDataAndStatus()
    {
        Assert.True(StorageCardApdu.TryParseResponse(Convert.FromHexString("04A1B2C39000"), out var data, out var status));
        Assert.Equal(Convert.FromHexString("04A1B2C3"), data.ToArray());
        Assert.True(status.IsSuccess);

        Assert.True(StorageCardApdu.TryParseResponse(Convert.FromHexString("6300"), out data, out status));
        Assert.True(data.IsEmpty);
        Assert.Equal(StatusWord.OperationFailed, status);
        Assert.Equal("63 00 (operation failed)", status.ToString());

        Assert.False(StorageCardApdu.TryParseResponse([0x90], out _, out _));
        Assert.False(StorageCardApdu.TryParseResponse([], out _, out _));
    }

    [Fact]
    public void StatusWord_Describes_WrongLeAndUnknown()
    {
        Assert.Equal("6C 04 (wrong Le)", StatusWord.WrongLe(4).ToString());
        Assert.Equal("69 82 (security status not satisfied)", StatusWord.SecurityNotSatisfied.ToString());
        Assert.Equal("64 01", new StatusWord(0x64, 0x01).ToString());
    }

    [Theory]
    [InlineData(MifareClassicType.Classic1K, "3B8F8001804F0CA000000306030001000000006A")]
    [InlineData(MifareClassicType.Classic4K, "3B8F8001804F0CA0000003060300020000000069")]
    public void Atr_Build_MatchesPublishedAtr(MifareClassicType type, string expected)
    {
        var atr = StorageCardAtr.Build(type);
        Assert.Equal(expected, Convert.ToHexString(atr));
        Assert.Equal(type, StorageCardAtr.TypeOf(atr));
        var xor = 0;
        foreach (var b in atr.AsSpan(1))
        {
            xor ^= b;
        }

        Assert.Equal(0, xor); // T0 to TCK
    }

    [Theory]
    [InlineData("3B8F8001804F0CA0000003060300030000000068")]  // MIFARE Ultralight (card name 00 03)
    [InlineData("3B8F8001804F0CA0000003060400010000000069")]  // another standard byte
    [InlineData("3B8880018000000000000000000000")]            // an ISO 14443-4 card's ATR
    [InlineData("3B")]
    [InlineData("")]
    public void Atr_OtherCards_AreNotMifareClassic(string hex)
    {
        Assert.Null(StorageCardAtr.TypeOf(Convert.FromHexString(hex)));
    }
}
