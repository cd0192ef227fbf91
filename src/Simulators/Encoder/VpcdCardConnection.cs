using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace Gateway.Simulators.Encoder;

/// <summary>
/// The simulated reader's card, offered to pcscd through the vsmartcard-vpcd reader driver. vpcd
/// listens (Debian: 127.0.0.1:35963 for "Virtual PCD 00 00", :35964 for "Virtual PCD 00 01") and
/// takes a connected client as a card in its reader; every message, both ways, is a 2-byte big-endian
/// length and that many bytes. From vpcd: one byte 00h power off, 01h power on, 02h reset, 04h send
/// the ATR (answered); anything longer is a command APDU (answered with the response APDU). vpcd
/// asks for the ATR to poll for the card, and closes the connection when an answer is empty.
/// </summary>
/// <remarks>
/// While a card is in the field, a connection is held (a card placed = a connection opened; taken off
/// = closed, which pcscd sees as removal at its next poll).
/// <para>
/// Between two card sessions pcscd is always shown an empty reader first. vpcd reports a card present
/// whenever a client is connected and answers the ATR request of pcscd's presence poll, so it cannot
/// tell a new card from the last one: when a session ended by a failure (the card taken off while pcscd
/// powered or reset it: pcscd then marks the card mute) and the next card's connection was already
/// waiting at pcscd's next poll, pcscd never saw the reader empty, kept the new card mute and never
/// powered it (the reader looked empty to every client for good). So after every session the
/// simulator connects once more only to answer that poll's ATR request with an empty answer (vpcd
/// reports no card and drops the connection), and only then offers the next card. A session's own
/// empty ATR answer does not count as shown: with the messages fast, a card taken off mid-transaction
/// met the client's reset first (vpcd asks for the ATR after the reset, and pcscd takes the empty answer
/// as a failed reset, not a removal), the card came back before the next poll, and pcscd never saw
/// the reader empty: the card stayed unusable for good.
/// </para>
/// <para>
/// While the reader is stalled
/// (<see cref="Pn532Emulator.Stalled"/>), a command gets no answer: the connection is dropped, and none
/// is opened until the fault is cleared. Runs on its own thread.
/// </para>
/// </remarks>
public sealed class VpcdCardConnection : IAsyncDisposable
{
    private static readonly TimeSpan FieldCheck = TimeSpan.FromMilliseconds(20);
    private readonly string _host;
    private readonly int _port;
    private readonly PcscReaderEmulator _reader;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _connections;
    private volatile bool _connected;

    // Whether pcscd has been told, since the last card session ended, that the reader is empty (see the remarks).
    private bool _absenceShown;

    private readonly Action<string>? _notify;

    private VpcdCardConnection(string host, int port, PcscReaderEmulator reader, Action<string>? notify)
    {
        _host = host;
        _port = port;
        _reader = reader;
        _notify = notify;
        _thread = new Thread(Run) { IsBackground = true, Name = $"vpcd {host}:{port}" };
    }

    /// <summary>Connections opened to vpcd so far (each one a card presented).</summary>
    public long ConnectionCount => Interlocked.Read(ref _connections);

    /// <summary>True while a card is presented to vpcd.</summary>
    public bool Connected => _connected;

    /// <summary>The last connection failure, for the operator (null while none).</summary>
    public string? LastError { get; private set; }

    /// <summary>Starts presenting the reader's cards to vpcd at <paramref name="host"/>:<paramref name="port"/>.</summary>
    /// <param name="host">vpcd's address.</param>
    /// <param name="port">vpcd's port for one reader slot.</param>
    /// <param name="reader">The reader whose activated card is presented.</param>
    /// <param name="notify">Told once when vpcd cannot be reached (it is tried again every 200 ms) and once when it can again.</param>
    public static VpcdCardConnection Start(string host, int port, PcscReaderEmulator reader, Action<string>? notify = null)
    {
        var connection = new VpcdCardConnection(host, port, reader, notify);
        connection._thread.Start();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _finished.Task;
        _stop.Dispose();
    }

    private void Run()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                if (_reader.Pn532.Stalled || (_absenceShown && _reader.Pn532.InField().Count == 0))
                {
                    _stop.Token.WaitHandle.WaitOne(FieldCheck);
                    continue;
                }

                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Connect(_host, _port);
                    if (LastError is not null)
                    {
                        LastError = null;
                        _notify?.Invoke($"vpcd {_host}:{_port} reached");
                    }
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    if (LastError is null)
                    {
                        _notify?.Invoke($"cannot reach vpcd at {_host}:{_port} ({ex.Message}); is pcscd running with vsmartcard-vpcd? Trying again every 200 ms");
                    }

                    LastError = ex.Message;
                    _stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
                    continue;
                }

                using (socket)
                {
                    if (!_absenceShown)
                    {
                        _absenceShown = ShowAbsence(socket);
                        continue;
                    }

                    if (_reader.Activate() is null)
                    {
                        continue;
                    }

                    // The reader selected the card as it came into the field, before anyone asked.
                    _ = _reader.TakeCardTime();

                    Interlocked.Increment(ref _connections);
                    _connected = true;
                    _absenceShown = false;
                    try
                    {
                        Serve(socket);
                    }
                    catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
                    {
                        // vpcd closed the connection (pcscd stopped, or it took an empty answer as removal).
                    }
                    finally
                    {
                        _connected = false;
                        _reader.PowerOff();
                    }
                }
            }
        }
        finally
        {
            _finished.TrySetResult();
        }
    }

    // One card session: answers vpcd until the card leaves the field, the reader stalls, vpcd closes, or the simulator stops.
    private void Serve(Socket socket)
    {
        var header = new byte[2];
        var message = new byte[ushort.MaxValue];
        while (!_stop.IsCancellationRequested)
        {
            if (!socket.Poll(FieldCheck, SelectMode.SelectRead))
            {
                if (!_reader.ActiveCardInField || _reader.Pn532.Stalled)
                {
                    return;
                }

                continue;
            }

            if (!ReceiveExactly(socket, header))
            {
                return;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(header);
            if (!ReceiveExactly(socket, message.AsSpan(0, length)))
            {
                return;
            }

            var received = Stopwatch.GetTimestamp();

            if (length == 1)
            {
                switch (message[0])
                {
                    case 0x00:
                        _reader.PowerOff();
                        break;
                    case 0x01:
                    case 0x02:
                        if (_reader.Activate() is null)
                        {
                            return;
                        }

                        break;
                    case 0x04:
                        // An empty answer tells vpcd the card is gone (that poll reports no card).
                        var atr = (_reader.ActiveCardInField ? _reader.Atr ?? _reader.Activate() : null) ?? [];
                        SpendCardTime(received, TimeSpan.Zero);
                        Send(socket, atr);
                        if (atr.Length == 0)
                        {
                            // Not yet "absence shown": this ATR request may be pcscd's reset of the card
                            // (SCardReconnect), whose failure pcscd does not take as a removal, rather than
                            // its presence poll. The next connection shows the absence to the poll itself.
                            return;
                        }

                        break;
                }

                // Power on and reset select the card again: the reader answers nothing more until that is done.
                SpendCardTime(received, TimeSpan.Zero);

                continue;
            }

            if (_reader.Pn532.Stalled)
            {
                // A hung or unplugged reader: this command is never answered.
                _reader.Pn532.NoteIgnoredWhileStalled();
                return;
            }

            var response = _reader.Transmit(message.AsSpan(0, length));
            SpendCardTime(received, _reader.Pn532.Timing.Enabled ? _reader.Pn532.Timing.ReaderApdu : TimeSpan.Zero);
            var delay = _reader.Pn532.NextReplyDelay();
            if (delay > TimeSpan.Zero)
            {
                _stop.Token.WaitHandle.WaitOne(delay);
            }

            Send(socket, response);
        }
    }

    // A connection whose only answer is "no card": the first message on a connection vpcd accepts is
    // the ATR request of pcscd's presence poll (vicc_present accepts, then asks for the ATR), and an
    // empty answer makes that poll report the reader empty. True once answered so.
    private bool ShowAbsence(Socket socket)
    {
        var header = new byte[2];
        var message = new byte[ushort.MaxValue];
        var deadline = Stopwatch.GetTimestamp() + (5 * Stopwatch.Frequency);
        try
        {
            while (!socket.Poll(FieldCheck, SelectMode.SelectRead))
            {
                if (_stop.IsCancellationRequested || _reader.Pn532.Stalled || Stopwatch.GetTimestamp() > deadline)
                {
                    return false;
                }
            }

            if (!ReceiveExactly(socket, header) || !ReceiveExactly(socket, message.AsSpan(0, BinaryPrimitives.ReadUInt16BigEndian(header))))
            {
                return false;
            }

            Send(socket, []);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
        {
            return false;
        }
    }

    // Waits out the card's time for what the reader just did (and the reader's own time), from `received`.
    private void SpendCardTime(long received, TimeSpan reader)
    {
        var work = _reader.TakeCardTime() + reader;
        if (work > TimeSpan.Zero)
        {
            _reader.Pn532.NoteModelledTime(TimeSpan.Zero, work);
            Pace.Until(Pace.After(received, work));
        }
    }

    /// <summary>
    /// Asks Linux to acknowledge what arrives next at once (TCP_QUICKACK, tcp(7); not permanent, so set
    /// before every read). vsmartcard-vpcd up to 0.9 (Debian's vsmartcard 3.3 package among them) sends a
    /// message's 2-byte length and its bytes in two send() calls on a socket with Nagle's algorithm on,
    /// so the bytes wait until the length is acknowledged; with this end's delayed ACK (40 ms at least on
    /// Linux) every APDU cost ~48 ms. vsmartcard fixed it upstream in 2023 (one send of length and bytes,
    /// "send length + data at the same time"); this keeps either version fast.
    /// </summary>
    private static void QuickAck(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            const int IpProtoTcp = 6;
            const int TcpQuickAck = 12;
            socket.SetRawSocketOption(IpProtoTcp, TcpQuickAck, BitConverter.GetBytes(1));
        }
    }

    private static void Send(Socket socket, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[2 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)payload.Length);
        payload.CopyTo(frame.AsSpan(2));
        socket.Send(frame);
    }

    private static bool ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            QuickAck(socket);
            var n = socket.Receive(buffer[read..]);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
