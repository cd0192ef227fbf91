using System.Runtime.InteropServices;

namespace Gateway.Drivers.CardEncoders.Pcsc;

/// <summary>
/// The PC/SC calls Gateway makes, declared twice because the two resource managers disagree on the
/// widths of their types (pcsc-lite's PCSC/wintypes.h and PCSC/pcsclite.h, Microsoft's winscard.h):
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>pcsc-lite on Linux: DWORD is <c>unsigned long</c> and LONG is <c>long</c> (64-bit on x86-64 and
/// arm64, 32-bit on 32-bit Linux, hence <c>nuint</c>/<c>nint</c>), SCARDCONTEXT and SCARDHANDLE are LONG,
/// MAX_ATR_SIZE is 33, strings are UTF-8 (<c>char</c>).</item>
/// <item>WinSCard on Windows: DWORD and LONG are 32-bit, SCARDCONTEXT and SCARDHANDLE are ULONG_PTR,
/// the ATR buffer of SCARD_READERSTATE is 36 bytes, and the W functions take UTF-16 strings.</item>
/// </list>
/// Return codes are the same numbers on both (SCARD_E_*, SCARD_W_*); pcsc-lite returns them in a
/// 64-bit long, so they are compared as their low 32 bits. macOS (PCSC.framework: 32-bit DWORD,
/// packed structures) is not supported.
/// </remarks>
internal static unsafe class PcscNative
{
    public const string LinuxLibrary = "libpcsclite.so.1";
    public const string WindowsLibrary = "winscard.dll";

    /// <summary>MAX_ATR_SIZE of pcsc-lite.</summary>
    public const int LinuxAtrBuffer = 33;

    /// <summary>The rgbAtr buffer of WinSCard's SCARD_READERSTATE.</summary>
    public const int WindowsAtrBuffer = 36;

    public const uint ScopeSystem = 2;
    public const uint ShareShared = 2;
    public const uint ProtocolT0 = 1;
    public const uint ProtocolT1 = 2;
    public const uint StateUnaware = 0;
    public const uint InfiniteTimeout = 0xFFFFFFFF;

    /// <summary>SCARD_READERSTATE of pcsc-lite (80 bytes on 64-bit Linux).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct LinuxReaderState
    {
        public byte* Reader;
        public void* UserData;
        public nuint CurrentState;
        public nuint EventState;
        public nuint AtrLength;
        public fixed byte Atr[LinuxAtrBuffer];
    }

    /// <summary>SCARD_READERSTATEW of WinSCard (64 bytes on 64-bit Windows).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct WindowsReaderState
    {
        public char* Reader;
        public void* UserData;
        public uint CurrentState;
        public uint EventState;
        public uint AtrLength;
        public fixed byte Atr[WindowsAtrBuffer];
    }

    /// <summary>SCARD_IO_REQUEST of pcsc-lite: two <c>unsigned long</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct LinuxIoRequest
    {
        public nuint Protocol;
        public nuint PciLength;
    }

    /// <summary>SCARD_IO_REQUEST of WinSCard: two DWORD.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct WindowsIoRequest
    {
        public uint Protocol;
        public uint PciLength;
    }

    /// <summary>pcsc-lite (libpcsclite.so.1, Debian's libpcsclite1).</summary>
    public static class Lite
    {
        [DllImport(LinuxLibrary)]
        public static extern nint SCardEstablishContext(nuint scope, void* reserved1, void* reserved2, nint* context);

        [DllImport(LinuxLibrary)]
        public static extern nint SCardReleaseContext(nint context);

        [DllImport(LinuxLibrary)]
        public static extern nint SCardListReaders(nint context, byte* groups, byte* readers, nuint* length);

        [DllImport(LinuxLibrary)]
        public static extern nint SCardGetStatusChange(nint context, nuint timeout, LinuxReaderState* states, nuint count);

        [DllImport(LinuxLibrary)]
        public static extern nint SCardConnect(nint context, byte* reader, nuint shareMode, nuint protocols, nint* card, nuint* activeProtocol);

        [DllImport(LinuxLibrary)]
        public static extern nint SCardReconnect(nint card, nuint shareMode, nuint protocols, nuint initialization, nuint* activeProtocol);

        [DllImport(LinuxLibrary)]
        public static extern nint SCardDisconnect(nint card, nuint disposition);

        [DllImport(LinuxLibrary)]
        public static extern nint SCardTransmit(nint card, LinuxIoRequest* sendPci, byte* send, nuint sendLength, LinuxIoRequest* receivePci, byte* receive, nuint* receiveLength);

        [DllImport(LinuxLibrary)]
        public static extern nint SCardCancel(nint context);
    }

    /// <summary>WinSCard (winscard.dll), the wide-character functions.</summary>
    public static class Win
    {
        [DllImport(WindowsLibrary)]
        public static extern int SCardEstablishContext(uint scope, void* reserved1, void* reserved2, nuint* context);

        [DllImport(WindowsLibrary)]
        public static extern int SCardReleaseContext(nuint context);

        [DllImport(WindowsLibrary)]
        public static extern int SCardListReadersW(nuint context, char* groups, char* readers, uint* length);

        [DllImport(WindowsLibrary)]
        public static extern int SCardGetStatusChangeW(nuint context, uint timeout, WindowsReaderState* states, uint count);

        [DllImport(WindowsLibrary)]
        public static extern int SCardConnectW(nuint context, char* reader, uint shareMode, uint protocols, nuint* card, uint* activeProtocol);

        [DllImport(WindowsLibrary)]
        public static extern int SCardReconnect(nuint card, uint shareMode, uint protocols, uint initialization, uint* activeProtocol);

        [DllImport(WindowsLibrary)]
        public static extern int SCardDisconnect(nuint card, uint disposition);

        [DllImport(WindowsLibrary)]
        public static extern int SCardTransmit(nuint card, WindowsIoRequest* sendPci, byte* send, uint sendLength, WindowsIoRequest* receivePci, byte* receive, uint* receiveLength);

        [DllImport(WindowsLibrary)]
        public static extern int SCardCancel(nuint context);
    }
}
