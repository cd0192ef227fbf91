using System.Runtime.Versioning;
using Gateway.Drivers.CardEncoders.Hsu;
using Gateway.Drivers.Channels;
using Gateway.Simulators.Encoder;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.Tests.CardEncoders;

/// <summary>
/// Gateway's PN532 frame layer against a scripted PN532 on a real pseudo-terminal: the test writes
/// exactly the bytes a late, stale or corrupt reader would.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class Pn532HsuClientTests
{
    private const byte InDataExchange = 0x40;

    [LinuxFact]
    public async Task Execute_StaleReplyBeforeTheAck_DroppedAndTheRightReplyReturned()
    {
        await using var pn532 = new ScriptedPn532();
        using var client = pn532.Client(TimeSpan.FromSeconds(5));
        var running = Task.Run(() => client.Execute(InDataExchange, [0x01, 0x30, 0x04]));

        var command = await pn532.ReadCommandAsync();
        Assert.Equal(InDataExchange, command.Command);
        Assert.Equal(new byte[] { 0x01, 0x30, 0x04 }, command.Data);

        // A reply to an earlier InDataExchange, then this command's ACK and reply.
        await pn532.WriteAsync(Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xAA, 0xAA]));
        await pn532.WriteAsync(Pn532Frames.Ack.ToArray());
        await pn532.WriteAsync(Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xBB, 0xBB]));

        Assert.Equal(new byte[] { 0x00, 0xBB, 0xBB }, await running);
        Assert.Equal(1, client.DroppedFrames);
        Assert.False(client.LastMissedDeadline);
    }

    [LinuxFact]
    public async Task Execute_ReplyMissesTheDeadline_NullThenTheLateReplyIsNeverTheNextAnswer()
    {
        await using var pn532 = new ScriptedPn532();
        // Long enough that the scripted second exchange never misses it on a loaded machine.
        using var client = pn532.Client(TimeSpan.FromSeconds(1));

        var first = Task.Run(() => client.Execute(InDataExchange, [0x01, 0x30, 0x04]));
        await pn532.ReadCommandAsync();
        await pn532.WriteAsync(Pn532Frames.Ack.ToArray());
        Assert.Null(await first);
        Assert.True(client.LastMissedDeadline);

        // The first command's reply arrives late; the same command is then sent again.
        var second = Task.Run(() => client.Execute(InDataExchange, [0x01, 0x30, 0x04]));
        await pn532.WriteAsync(Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xAA]));
        var command = await pn532.ReadCommandAsync();
        Assert.Equal(InDataExchange, command.Command);
        await pn532.WriteAsync(Pn532Frames.Ack.ToArray());
        await pn532.WriteAsync(Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xBB]));

        Assert.Equal(new byte[] { 0x00, 0xBB }, await second);
        Assert.Equal(1, client.MissedDeadlines);
        Assert.True(pn532.HostAcks >= 1, "the host did not abort the late command with an ACK");
    }

    [LinuxFact]
    public async Task Execute_StaleExchangeWaitingWhenTheCommandIsSent_DiscardedAndNeverTheAnswer()
    {
        await using var pn532 = new ScriptedPn532();
        var line = pn532.OpenLine();
        using var client = new Pn532HsuClient(line, TimeSpan.FromSeconds(5), NullLogger.Instance);

        // An ACK and a reply of the same code that answer no command of this host (a reader that
        // answered twice, or later than the resynchronisation waited) arrive while the line is idle.
        byte[] stale = [.. Pn532Frames.Ack, .. Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xAA])];
        await pn532.WriteAsync(stale);
        await Eventually.UntilAsync(() => line.BytesAvailable >= stale.Length, "the stale frames to wait in the host's input");

        var running = Task.Run(() => client.Execute(InDataExchange, [0x01, 0x30, 0x04]));
        await pn532.ReadCommandAsync();
        await pn532.WriteAsync(Pn532Frames.Ack.ToArray());
        await pn532.WriteAsync(Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xBB]));

        Assert.Equal(new byte[] { 0x00, 0xBB }, await running);
    }

    [LinuxFact]
    public async Task Open_PortAlreadyHoldsAStaleReply_NotTakenAsTheAnswer()
    {
        await using var pn532 = new ScriptedPn532();
        byte[] stale = [.. Pn532Frames.Ack, .. Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xAA])];
        await pn532.WriteAsync(stale);
        await Eventually.UntilAsync(() => pn532.WaitingForHost() >= stale.Length, "the stale frames to wait in the port before it is opened");

        using var client = pn532.Client(TimeSpan.FromSeconds(5));
        var running = Task.Run(() => client.Execute(InDataExchange, [0x01, 0x30, 0x04]));
        await pn532.ReadCommandAsync();
        await pn532.WriteAsync(Pn532Frames.Ack.ToArray());
        await pn532.WriteAsync(Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xBB]));

        Assert.Equal(new byte[] { 0x00, 0xBB }, await running);
    }

    [LinuxFact]
    public async Task Execute_LateAckAndReplyArriveWhileIdle_DrainedBeforeTheNextCommand()
    {
        await using var pn532 = new ScriptedPn532();
        var line = pn532.OpenLine();
        using var client = new Pn532HsuClient(line, TimeSpan.FromMilliseconds(200), NullLogger.Instance);

        var first = Task.Run(() => client.Execute(InDataExchange, [0x01, 0x30, 0x04]));
        await pn532.ReadCommandAsync();
        Assert.Null(await first);
        Assert.True(client.LastMissedDeadline);

        // The reader answers at last, ACK and reply, while the host has nothing in flight.
        byte[] late = [.. Pn532Frames.Ack, .. Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xAA])];
        await pn532.WriteAsync(late);
        await Eventually.UntilAsync(() => line.BytesAvailable >= late.Length, "the late frames to wait in the host's input");

        var second = Task.Run(() => client.Execute(InDataExchange, [0x01, 0x30, 0x05]));
        var command = await pn532.ReadCommandAsync();
        Assert.Equal(new byte[] { 0x01, 0x30, 0x05 }, command.Data);
        await pn532.WriteAsync(Pn532Frames.Ack.ToArray());
        await pn532.WriteAsync(Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xBB]));

        Assert.Equal(new byte[] { 0x00, 0xBB }, await second);
    }

    [LinuxFact]
    public async Task Execute_CorruptReply_AsksAgainWithNack()
    {
        await using var pn532 = new ScriptedPn532();
        using var client = pn532.Client(TimeSpan.FromSeconds(5));
        var running = Task.Run(() => client.Execute(InDataExchange, [0x01, 0x30, 0x04]));
        await pn532.ReadCommandAsync();
        var reply = Pn532Frames.EncodeReply(InDataExchange, [0x00, 0x42]);
        var corrupt = reply.ToArray();
        corrupt[^3] ^= 0xFF;
        await pn532.WriteAsync(Pn532Frames.Ack.ToArray());
        await pn532.WriteAsync(corrupt);

        var nack = await pn532.ReadFrameAsync();
        Assert.Equal(HostFrameKind.Nack, nack.Kind);
        await pn532.WriteAsync(reply);
        Assert.Equal(new byte[] { 0x00, 0x42 }, await running);
    }

    [LinuxFact]
    public async Task Execute_ErrorFrame_NullButNotAMissedDeadline()
    {
        await using var pn532 = new ScriptedPn532();
        using var client = pn532.Client(TimeSpan.FromSeconds(5));
        var running = Task.Run(() => client.Execute(0x99, []));
        await pn532.ReadCommandAsync();
        await pn532.WriteAsync(Pn532Frames.Ack.ToArray());
        await pn532.WriteAsync(Pn532Frames.ErrorFrame.ToArray());
        Assert.Null(await running);
        Assert.False(client.LastMissedDeadline);
    }

    [LinuxFact]
    public async Task Execute_FarEndGone_IOException()
    {
        var pn532 = new ScriptedPn532();
        using var client = pn532.Client(TimeSpan.FromSeconds(5));
        await pn532.DisposeAsync();
        Assert.Throws<IOException>(() => client.Execute(InDataExchange, [0x01, 0x30, 0x04]));
    }

    private sealed class ScriptedPn532 : IAsyncDisposable
    {
        private readonly TempFolder _folder = new("gateway-hsu");
        private readonly PseudoTerminal _pty;
        private readonly List<byte> _pending = [];

        public ScriptedPn532()
        {
            _pty = PseudoTerminal.Create(_folder.Combine("ttyPN532"));
        }

        public int HostAcks { get; private set; }

        public Pn532HsuClient Client(TimeSpan replyTimeout) =>
            new(OpenLine(), replyTimeout, NullLogger.Instance);

        public TermiosSerialLine OpenLine() => TermiosSerialLine.Open(_pty.LinkPath!);

        // Bytes written by this side that wait in the port for a host to read them (FIONREAD on
        // the slave device: every descriptor of it shares one input queue).
        public int WaitingForHost()
        {
            var fd = LibC.open(_pty.SlavePath, LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
            Assert.True(fd >= 0, "cannot open the pseudo-terminal's slave side");
            try
            {
                return LibC.ioctl(fd, LibC.FIONREAD, out var n) == 0 ? n : 0;
            }
            finally
            {
                _ = LibC.close(fd);
            }
        }

        public async Task WriteAsync(byte[] bytes) => await _pty.WriteAsync(bytes, EncoderRig.Bounded);

        // The next command frame from the host; its ACKs (aborts) are counted and skipped.
        public async Task<HostFrame> ReadCommandAsync()
        {
            while (true)
            {
                var frame = await ReadFrameAsync();
                if (frame.Kind == HostFrameKind.Command)
                {
                    return frame;
                }

                HostAcks += frame.Kind == HostFrameKind.Ack ? 1 : 0;
            }
        }

        public async Task<HostFrame> ReadFrameAsync()
        {
            var buffer = new byte[512];
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                var complete = Pn532Frames.TryDecodeHostFrame(_pending.ToArray(), out var frame, out var consumed);
                _pending.RemoveRange(0, consumed);
                if (complete && frame is not null)
                {
                    return frame;
                }

                if (!complete)
                {
                    var n = await _pty.ReadAsync(buffer, bounded.Token);
                    _pending.AddRange(buffer.AsSpan(0, n));
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _pty.DisposeAsync();
            _folder.Dispose();
        }
    }
}
