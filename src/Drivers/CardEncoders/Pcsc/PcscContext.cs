using System.Text;

namespace Gateway.Drivers.CardEncoders.Pcsc;

/// <summary>The reader states of SCardGetStatusChange that Gateway reads (SCARD_STATE_*).</summary>
[Flags]
internal enum PcscReaderState : uint
{
    None = 0,
    Unknown = 0x0004,
    Unavailable = 0x0008,
    Empty = 0x0010,
    Present = 0x0020,
    Exclusive = 0x0080,
    InUse = 0x0100,
    Mute = 0x0200,
    Unpowered = 0x0400,
}

/// <summary>A reader's state and, when a card is present, the ATR the reader built for it.</summary>
internal readonly record struct PcscReaderStatus(PcscReaderState State, byte[] Atr)
{
    /// <summary>A card is in the field and answered the reader.</summary>
    public bool HasCard => (State & PcscReaderState.Present) != 0 && (State & PcscReaderState.Mute) == 0;
}

/// <summary>
/// One context with the PC/SC resource manager (pcscd on Linux, the Smart Card service on Windows): the
/// readers, their states, and connections to their cards. Blocking calls; one thread at a time.
/// Errors are <see cref="PcscException"/>.
/// </summary>
internal interface IPcscContext : IDisposable
{
    /// <summary>The readers the resource manager knows, in its order; empty when there is none.</summary>
    IReadOnlyList<string> ListReaders();

    /// <summary>The state of <paramref name="reader"/> now (no wait). An unknown reader has <see cref="PcscReaderState.Unknown"/>.</summary>
    PcscReaderStatus GetStatus(string reader);

    /// <summary>
    /// Waits until the state of <paramref name="reader"/> changes from what it is now (a card taken off
    /// or put on, the reader gone), at most <paramref name="timeout"/>; returns the state then.
    /// </summary>
    PcscReaderStatus WaitForChange(string reader, TimeSpan timeout);

    /// <summary>Connects (shared, T=0 or T=1) to the card in <paramref name="reader"/>.</summary>
    IPcscCard Connect(string reader);
}

/// <summary>A connection to the card in one reader. Dispose leaves the card as it is.</summary>
internal interface IPcscCard : IDisposable
{
    /// <summary>Sends one command APDU; writes the response APDU (data and SW1 SW2) into <paramref name="response"/> and returns its length.</summary>
    int Transmit(ReadOnlySpan<byte> command, Span<byte> response);

    /// <summary>Reconnects; with <paramref name="reset"/> the reader resets the card (a contactless reader activates it again).</summary>
    void Reconnect(bool reset);
}

/// <summary>The PC/SC interop of this platform (pcsc-lite on Linux, WinSCard on Windows).</summary>
internal static unsafe class PcscContext
{
    /// <summary>Opens a context with the system's resource manager.</summary>
    /// <exception cref="PcscException">The service is not running, or its library is not installed.</exception>
    /// <exception cref="PlatformNotSupportedException">Neither Linux nor Windows.</exception>
    public static IPcscContext Establish()
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                nint context;
                Check("SCardEstablishContext", (uint)PcscNative.Lite.SCardEstablishContext(PcscNative.ScopeSystem, null, null, &context));
                return new LiteContext(context);
            }

            if (OperatingSystem.IsWindows())
            {
                nuint context;
                Check("SCardEstablishContext", (uint)PcscNative.Win.SCardEstablishContext(PcscNative.ScopeSystem, null, null, &context));
                return new WinContext(context);
            }
        }
        catch (DllNotFoundException ex)
        {
            throw new PcscException("SCardEstablishContext", OperatingSystem.IsLinux() ? $"{PcscNative.LinuxLibrary} is not installed (Debian: apt install pcscd)" : $"{PcscNative.WindowsLibrary} could not be loaded", ex);
        }

        throw new PlatformNotSupportedException("PC/SC readers are supported on Linux (pcsc-lite) and Windows");
    }

    private static uint Milliseconds(TimeSpan timeout) => (uint)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue);

    private static void Check(string function, uint code)
    {
        if (code != PcscError.Success)
        {
            throw new PcscException(function, code);
        }
    }

    // Splits a multi-string (names separated by NUL, ended by an empty name).
    private static List<string> SplitMultiString(string text) => [.. text.Split('\0', StringSplitOptions.RemoveEmptyEntries)];

    private static byte[] Utf8Z(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    private sealed class LiteContext(nint context) : IPcscContext
    {
        private nint _context = context;

        public IReadOnlyList<string> ListReaders()
        {
            while (true)
            {
                nuint length = 0;
                var code = (uint)PcscNative.Lite.SCardListReaders(_context, null, null, &length);
                if (code == PcscError.NoReadersAvailable)
                {
                    return [];
                }

                Check("SCardListReaders", code);
                var buffer = new byte[(int)length];
                fixed (byte* p = buffer)
                {
                    code = (uint)PcscNative.Lite.SCardListReaders(_context, null, p, &length);
                }

                switch (code)
                {
                    case PcscError.NoReadersAvailable:
                        return [];
                    case PcscError.InsufficientBuffer:
                        continue; // a reader arrived between the two calls
                    default:
                        Check("SCardListReaders", code);
                        return SplitMultiString(Encoding.UTF8.GetString(buffer, 0, (int)length));
                }
            }
        }

        public PcscReaderStatus GetStatus(string reader) => Query(reader, PcscNative.StateUnaware, 0).Status;

        public PcscReaderStatus WaitForChange(string reader, TimeSpan timeout)
        {
            var (status, raw) = Query(reader, PcscNative.StateUnaware, 0);
            return (status.State & PcscReaderState.Unknown) != 0 ? status : Query(reader, raw, Milliseconds(timeout)).Status;
        }

        private (PcscReaderStatus Status, uint Raw) Query(string reader, uint current, uint timeout)
        {
            var name = Utf8Z(reader);
            fixed (byte* p = name)
            {
                var state = new PcscNative.LinuxReaderState { Reader = p, CurrentState = current };
                var code = (uint)PcscNative.Lite.SCardGetStatusChange(_context, timeout, &state, 1);
                if (code == PcscError.UnknownReader)
                {
                    return (new PcscReaderStatus(PcscReaderState.Unknown, []), 0);
                }

                if (code == PcscError.Timeout)
                {
                    state.EventState = current;
                }
                else
                {
                    Check("SCardGetStatusChange", code);
                }

                // pcsc-lite keeps an event counter in the upper 16 bits: handed back as the current
                // state, it lets the next call wait for the next event.
                var raw = (uint)state.EventState & ~0x2u; // without SCARD_STATE_CHANGED
                var flags = (PcscReaderState)(raw & 0xFFFF);
                var atr = new ReadOnlySpan<byte>(state.Atr, (int)Math.Min((uint)state.AtrLength, PcscNative.LinuxAtrBuffer)).ToArray();
                return (new PcscReaderStatus(flags, (flags & PcscReaderState.Present) != 0 ? atr : []), raw);
            }
        }

        public IPcscCard Connect(string reader)
        {
            var name = Utf8Z(reader);
            nint card;
            nuint protocol;
            fixed (byte* p = name)
            {
                Check("SCardConnect", (uint)PcscNative.Lite.SCardConnect(_context, p, PcscNative.ShareShared, PcscNative.ProtocolT0 | PcscNative.ProtocolT1, &card, &protocol));
            }

            return new LiteCard(card, protocol);
        }

        public void Dispose()
        {
            if (_context != 0)
            {
                _ = PcscNative.Lite.SCardReleaseContext(_context);
                _context = 0;
            }
        }
    }

    private sealed class LiteCard(nint card, nuint protocol) : IPcscCard
    {
        private nint _card = card;
        private nuint _protocol = protocol;

        public int Transmit(ReadOnlySpan<byte> command, Span<byte> response)
        {
            ObjectDisposedException.ThrowIf(_card == 0, this);
            var pci = new PcscNative.LinuxIoRequest { Protocol = _protocol, PciLength = (nuint)sizeof(PcscNative.LinuxIoRequest) };
            var length = (nuint)response.Length;
            fixed (byte* send = command)
            fixed (byte* receive = response)
            {
                Check("SCardTransmit", (uint)PcscNative.Lite.SCardTransmit(_card, &pci, send, (nuint)command.Length, null, receive, &length));
            }

            return (int)length;
        }

        public void Reconnect(bool reset)
        {
            nuint protocol;
            Check("SCardReconnect", (uint)PcscNative.Lite.SCardReconnect(_card, PcscNative.ShareShared, PcscNative.ProtocolT0 | PcscNative.ProtocolT1, reset ? 1u : 0u, &protocol));
            _protocol = protocol;
        }

        public void Dispose()
        {
            if (_card != 0)
            {
                _ = PcscNative.Lite.SCardDisconnect(_card, 0);
                _card = 0;
            }
        }
    }

    private sealed class WinContext(nuint context) : IPcscContext
    {
        private nuint _context = context;

        public IReadOnlyList<string> ListReaders()
        {
            while (true)
            {
                uint length = 0;
                var code = (uint)PcscNative.Win.SCardListReadersW(_context, null, null, &length);
                if (code == PcscError.NoReadersAvailable)
                {
                    return [];
                }

                Check("SCardListReaders", code);
                var buffer = new char[length];
                fixed (char* p = buffer)
                {
                    code = (uint)PcscNative.Win.SCardListReadersW(_context, null, p, &length);
                }

                switch (code)
                {
                    case PcscError.NoReadersAvailable:
                        return [];
                    case PcscError.InsufficientBuffer:
                        continue;
                    default:
                        Check("SCardListReaders", code);
                        return SplitMultiString(new string(buffer, 0, (int)length));
                }
            }
        }

        public PcscReaderStatus GetStatus(string reader) => Query(reader, PcscNative.StateUnaware, 0).Status;

        public PcscReaderStatus WaitForChange(string reader, TimeSpan timeout)
        {
            var (status, raw) = Query(reader, PcscNative.StateUnaware, 0);
            return (status.State & PcscReaderState.Unknown) != 0 ? status : Query(reader, raw, Milliseconds(timeout)).Status;
        }

        private (PcscReaderStatus Status, uint Raw) Query(string reader, uint current, uint timeout)
        {
            fixed (char* p = reader)
            {
                var state = new PcscNative.WindowsReaderState { Reader = p, CurrentState = current };
                var code = (uint)PcscNative.Win.SCardGetStatusChangeW(_context, timeout, &state, 1);
                if (code == PcscError.UnknownReader)
                {
                    return (new PcscReaderStatus(PcscReaderState.Unknown, []), 0);
                }

                if (code == PcscError.Timeout)
                {
                    state.EventState = current;
                }
                else
                {
                    Check("SCardGetStatusChange", code);
                }

                // WinSCard too keeps an event count in the upper 16 bits.
                var raw = state.EventState & ~0x2u;
                var flags = (PcscReaderState)(raw & 0xFFFF);
                var atr = new ReadOnlySpan<byte>(state.Atr, (int)Math.Min(state.AtrLength, PcscNative.WindowsAtrBuffer)).ToArray();
                return (new PcscReaderStatus(flags, (flags & PcscReaderState.Present) != 0 ? atr : []), raw);
            }
        }

        public IPcscCard Connect(string reader)
        {
            nuint card;
            uint protocol;
            fixed (char* p = reader)
            {
                Check("SCardConnect", (uint)PcscNative.Win.SCardConnectW(_context, p, PcscNative.ShareShared, PcscNative.ProtocolT0 | PcscNative.ProtocolT1, &card, &protocol));
            }

            return new WinCard(card, protocol);
        }

        public void Dispose()
        {
            if (_context != 0)
            {
                _ = PcscNative.Win.SCardReleaseContext(_context);
                _context = 0;
            }
        }
    }

    private sealed class WinCard(nuint card, uint protocol) : IPcscCard
    {
        private nuint _card = card;
        private uint _protocol = protocol;

        public int Transmit(ReadOnlySpan<byte> command, Span<byte> response)
        {
            ObjectDisposedException.ThrowIf(_card == 0, this);
            var pci = new PcscNative.WindowsIoRequest { Protocol = _protocol, PciLength = (uint)sizeof(PcscNative.WindowsIoRequest) };
            var length = (uint)response.Length;
            fixed (byte* send = command)
            fixed (byte* receive = response)
            {
                Check("SCardTransmit", (uint)PcscNative.Win.SCardTransmit(_card, &pci, send, (uint)command.Length, null, receive, &length));
            }

            return (int)length;
        }

        public void Reconnect(bool reset)
        {
            uint protocol;
            Check("SCardReconnect", (uint)PcscNative.Win.SCardReconnect(_card, PcscNative.ShareShared, PcscNative.ProtocolT0 | PcscNative.ProtocolT1, reset ? 1u : 0u, &protocol));
            _protocol = protocol;
        }

        public void Dispose()
        {
            if (_card != 0)
            {
                _ = PcscNative.Win.SCardDisconnect(_card, 0);
                _card = 0;
            }
        }
    }
}
