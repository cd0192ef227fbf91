using System.Runtime.CompilerServices;
using Gateway.Drivers.CardEncoders.Pcsc;

namespace Gateway.Drivers.Tests.CardEncoders.Pcsc;

public sealed class PcscEndpointTests
{
    private const string Acr = "ACS ACR122U PICC Interface 00 00";
    private const string Omnikey = "HID Global OMNIKEY 5022 Smart Card Reader [OMNIKEY 5022 Smart Card Reader] 00 00";

    [Fact]
    public void Parse_PercentEncodedName_DecodesIt()
    {
        var endpoint = PcscEndpoint.Parse("pcsc://ACS%20ACR122U%20PICC%20Interface%2000%2000");
        Assert.Equal(Acr, endpoint.ReaderName);
        Assert.Equal("pcsc://ACS%20ACR122U%20PICC%20Interface%2000%2000", endpoint.ToString());
    }

    [Fact]
    public void Format_ThenParse_RoundTripsAnyName()
    {
        foreach (var name in new[] { Acr, Omnikey, "读卡器 #1 (前台)", "a%b/c?d" })
        {
            var text = PcscEndpoint.Format(name);
            Assert.DoesNotContain(' ', text);
            Assert.Equal(name, PcscEndpoint.Parse(text).ReaderName);
        }
    }

    [Fact]
    public void Parse_SchemeAlone_MeansTheOnlyReaderHoldingACard()
    {
        Assert.Null(PcscEndpoint.Parse("pcsc://").ReaderName);
        Assert.Null(PcscEndpoint.Parse("PCSC://").ReaderName);
        Assert.Equal("pcsc://", PcscEndpoint.Parse("pcsc://").ToString());
    }

    [Fact]
    public void Parse_UnencodedSpaces_AreTakenAsTheyAre()
    {
        Assert.Equal(Acr, PcscEndpoint.Parse("pcsc://" + Acr).ReaderName);
    }

    [Theory]
    [InlineData("/dev/ttyUSB0", "is not a PC/SC endpoint")]
    [InlineData("pcsc:ACR", "is not a PC/SC endpoint")]
    [InlineData("pcsc://ACR%2", "two hex digits")]
    [InlineData("pcsc://ACR%zz", "two hex digits")]
    [InlineData("pcsc://%FF%FE", "two hex digits")]
    [InlineData("pcsc://%20%20", "empty")]
    [InlineData("pcsc://a%0Ab", "control characters")]
    public void Parse_BadText_OneLineError(string text, string expected)
    {
        Assert.False(PcscEndpoint.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void IsPcsc_TellsEndpointsFromPorts()
    {
        Assert.True(PcscEndpoint.IsPcsc("pcsc://"));
        Assert.True(PcscEndpoint.IsPcsc("PCSC://x"));
        Assert.False(PcscEndpoint.IsPcsc("/dev/ttyUSB0"));
        Assert.False(PcscEndpoint.IsPcsc("COM4"));
        Assert.False(PcscEndpoint.IsPcsc(null));
    }

    [Fact]
    public void Select_ExactName_WinsOverPrefix()
    {
        var readers = new[] { (Acr, false), ("ACS ACR122U PICC Interface 00 00 extra", true) };
        Assert.Equal(Acr, new PcscEndpoint(Acr).Select(readers, out var error));
        Assert.Null(error);
    }

    [Fact]
    public void Select_UniquePrefixIgnoringCase_Found()
    {
        var readers = new[] { (Acr, false), (Omnikey, false) };
        Assert.Equal(Acr, new PcscEndpoint("acs acr122u").Select(readers, out _));
    }

    [Fact]
    public void Select_AmbiguousPrefix_ListsTheCandidates()
    {
        var readers = new[] { ("Virtual PCD 00 00", false), ("Virtual PCD 00 01", true) };
        Assert.Null(new PcscEndpoint("Virtual PCD").Select(readers, out var error));
        Assert.Equal("'Virtual PCD' names 2 PC/SC readers (pcsc://Virtual%20PCD%2000%2000, pcsc://Virtual%20PCD%2000%2001 (card)): give more of the name", error);
    }

    [Fact]
    public void Select_UnknownName_ListsTheReaders()
    {
        var readers = new[] { (Acr, true) };
        Assert.Null(new PcscEndpoint("OMNIKEY").Select(readers, out var error));
        Assert.Equal("no PC/SC reader named 'OMNIKEY'; readers: pcsc://ACS%20ACR122U%20PICC%20Interface%2000%2000 (card)", error);
    }

    [Fact]
    public void Select_NoReaders_SaysSo()
    {
        Assert.Null(new PcscEndpoint(Acr).Select([], out var error));
        Assert.StartsWith("no PC/SC reader is connected", error);
    }

    [Fact]
    public void Select_SchemeAlone_TheOnlyReaderHoldingACard()
    {
        var any = new PcscEndpoint((string?)null);
        Assert.Equal(Omnikey, any.Select([(Acr, false), (Omnikey, true)], out _));

        Assert.Null(any.Select([(Acr, false), (Omnikey, false)], out var none));
        Assert.StartsWith("no card on any PC/SC reader; readers: pcsc://ACS", none);

        Assert.Null(any.Select([(Acr, true), (Omnikey, true)], out var two));
        Assert.StartsWith("cards on 2 PC/SC readers (pcsc://ACS", two);
        Assert.EndsWith("name one as pcsc://READER-NAME", two);
    }

    [Fact]
    public void NativeLayouts_MatchTheHeaders()
    {
        // pcsc-lite (PCSC/pcsclite.h): three unsigned longs and a 33-byte ATR after two pointers;
        // WinSCard (winscard.h): three 32-bit DWORDs and a 36-byte ATR.
        var pointer = IntPtr.Size;
        Assert.Equal(Align((2 * pointer) + (3 * pointer) + 33, pointer), Unsafe.SizeOf<PcscNative.LinuxReaderState>());
        Assert.Equal(Align((2 * pointer) + 12 + 36, pointer), Unsafe.SizeOf<PcscNative.WindowsReaderState>());
        Assert.Equal(2 * pointer, Unsafe.SizeOf<PcscNative.LinuxIoRequest>());
        Assert.Equal(8, Unsafe.SizeOf<PcscNative.WindowsIoRequest>());
        if (Environment.Is64BitProcess)
        {
            Assert.Equal(80, Unsafe.SizeOf<PcscNative.LinuxReaderState>());
            Assert.Equal(64, Unsafe.SizeOf<PcscNative.WindowsReaderState>());
        }
    }

    private static int Align(int size, int to) => (size + to - 1) / to * to;
}
