using System.Runtime.Versioning;
using Gateway.Drivers.CardEncoders.Pn532;
using Gateway.Drivers.Channels;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Drivers.Tests.CardEncoders;

/// <summary>
/// Gateway's PN532 frame layer against a scripted PN532 on a real pseudo-terminal, through the serial
/// channel's termios driver: the test writes exactly the bytes a late, stale or corrupt reader would.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class Pn532ClientTests
{
    private const byte InDataExchange = 0x40;

    [LinuxFact]
    public async Task Execute_StaleReplyBeforeTheAck_DroppedAndTheRightReplyReturned()
    {
        await using var pn532 = new ScriptedPn532();
        var (client, _) = await pn532.ClientAsync(TimeSpan.FromSeconds(5));
        await using var owned = client;
        var running = client.ExecuteAsync(InDataExchange, new byte[] { 0x01, 0x30, 0x04 }, EncoderRig.Bounded);

        var command = await pn532.ReadCommandAsync();
        Assert.Equal(InDataExchange, command.Code);
        Assert.Equal(new byte[] { 0x01, 0x30, 0x04 }, command.Data);

        // A reply to an earlier InDataExchange, then this command's ACK and reply.
        await pn532.WriteAsync(Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xAA, 0xAA]));
        await pn532.AnswerAsync([0x00, 0xBB, 0xBB]);

        var reply = await running;
        Assert.Equal(new byte[] { 0x00, 0xBB, 0xBB }, reply.Data);
        Assert.False(reply.MissedDeadline);
        Assert.Equal(1, client.DroppedFrames);
    }

    [LinuxFact]
    public async Task Execute_ReplyMissesTheDeadline_NullThenTheLateReplyIsNeverTheNextAnswer()
    {
        await using var pn532 = new ScriptedPn532();

        // Long enough that the scripted second exchange never misses it on a loaded machine.
        var (client, _) = await pn532.ClientAsync(TimeSpan.FromSeconds(1));
        await using var owned = client;

        var first = client.ExecuteAsync(InDataExchange, new byte[] { 0x01, 0x30, 0x04 }, EncoderRig.Bounded);
        await pn532.ReadCommandAsync();
        await pn532.WriteAsync(Pn532Frames.Ack.ToArray());
        var missed = await first;
        Assert.Null(missed.Data);
        Assert.True(missed.MissedDeadline);

        // The first command's reply arrives late; the same command is then sent again.
        var second = client.ExecuteAsync(InDataExchange, new byte[] { 0x01, 0x30, 0x04 }, EncoderRig.Bounded);
        await pn532.WriteAsync(Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xAA]));
        var command = await pn532.ReadCommandAsync();
        Assert.Equal(InDataExchange, command.Code);
        await pn532.AnswerAsync([0x00, 0xBB]);

        Assert.Equal(new byte[] { 0x00, 0xBB }, (await second).Data);
        Assert.Equal(1, client.MissedDeadlines);
        Assert.True(pn532.HostAcks >= 1, "the host did not abort the late command with an ACK");
    }

    [LinuxFact]
    public async Task Execute_StaleExchangeWaitingWhenTheCommandIsSent_DiscardedAndNeverTheAnswer()
    {
        await using var pn532 = new ScriptedPn532();
        var (client, channel) = await pn532.ClientAsync(TimeSpan.FromSeconds(5));
        await using var owned = client;

        // An ACK and a reply of the same code that answer no command of this host (a reader that
        // answered twice, or later than the resynchronisation waited) arrive while the line is idle.
        byte[] stale = [.. Pn532Frames.Ack, .. Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xAA])];
        await pn532.WriteAsync(stale);
        await Eventually.UntilAsync(() => channel.BytesAvailable >= stale.Length, "the stale frames to wait in the host's input");

        var running = client.ExecuteAsync(InDataExchange, new byte[] { 0x01, 0x30, 0x04 }, EncoderRig.Bounded);
        await pn532.ReadCommandAsync();
        await pn532.AnswerAsync([0x00, 0xBB]);

        Assert.Equal(new byte[] { 0x00, 0xBB }, (await running).Data);
    }

    [LinuxFact]
    public async Task Open_PortAlreadyHoldsAStaleReply_NotTakenAsTheAnswer()
    {
        await using var pn532 = new ScriptedPn532();
        byte[] stale = [.. Pn532Frames.Ack, .. Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xAA])];
        await pn532.WriteAsync(stale);
        await Eventually.UntilAsync(() => pn532.WaitingForHost() >= stale.Length, "the stale frames to wait in the port before it is opened");

        var (client, _) = await pn532.ClientAsync(TimeSpan.FromSeconds(5));
        await using var owned = client;
        var running = client.ExecuteAsync(InDataExchange, new byte[] { 0x01, 0x30, 0x04 }, EncoderRig.Bounded);
        await pn532.ReadCommandAsync();
        await pn532.AnswerAsync([0x00, 0xBB]);

        Assert.Equal(new byte[] { 0x00, 0xBB }, (await running).Data);
    }

    [LinuxFact]
    public async Task Execute_LateAckAndReplyArriveWhileIdle_DrainedBeforeTheNextCommand()
    {
        await using var pn532 = new ScriptedPn532();
        var (client, channel) = await pn532.ClientAsync(TimeSpan.FromMilliseconds(200));
        await using var owned = client;

        var first = client.ExecuteAsync(InDataExchange, new byte[] { 0x01, 0x30, 0x04 }, EncoderRig.Bounded);
        await pn532.ReadCommandAsync();
        Assert.True((await first).MissedDeadline);

        // The reader answers at last, ACK and reply, while the host has nothing in flight.
        byte[] late = [.. Pn532Frames.Ack, .. Pn532Frames.EncodeReply(InDataExchange, [0x00, 0xAA])];
        await pn532.WriteAsync(late);
        await Eventually.UntilAsync(() => channel.BytesAvailable >= late.Length, "the late frames to wait in the host's input");

        var second = client.ExecuteAsync(InDataExchange, new byte[] { 0x01, 0x30, 0x05 }, EncoderRig.Bounded);
        var command = await pn532.ReadCommandAsync();
        Assert.Equal(new byte[] { 0x01, 0x30, 0x05 }, command.Data);
        await pn532.AnswerAsync([0x00, 0xBB]);

        Assert.Equal(new byte[] { 0x00, 0xBB }, (await second).Data);
    }

    [LinuxFact]
    public async Task Execute_CorruptReply_AsksAgainWithNack()
    {
        await using var pn532 = new ScriptedPn532();
        var (client, _) = await pn532.ClientAsync(TimeSpan.FromSeconds(5));
        await using var owned = client;
        var running = client.ExecuteAsync(InDataExchange, new byte[] { 0x01, 0x30, 0x04 }, EncoderRig.Bounded);
        await pn532.ReadCommandAsync();
        var reply = Pn532Frames.EncodeReply(InDataExchange, [0x00, 0x42]);
        var corrupt = reply.ToArray();
        corrupt[^3] ^= 0xFF;
        await pn532.WriteAsync(Pn532Frames.Ack.ToArray());
        await pn532.WriteAsync(corrupt);

        var nack = await pn532.ReadFrameAsync();
        Assert.Equal(Pn532FrameKind.Nack, nack.Kind);
        await pn532.WriteAsync(reply);
        Assert.Equal(new byte[] { 0x00, 0x42 }, (await running).Data);
    }

    [LinuxFact]
    public async Task Execute_ErrorFrame_NullButNotAMissedDeadline()
    {
        await using var pn532 = new ScriptedPn532();
        var (client, _) = await pn532.ClientAsync(TimeSpan.FromSeconds(5));
        await using var owned = client;
        var running = client.ExecuteAsync(0x99, ReadOnlyMemory<byte>.Empty, EncoderRig.Bounded);
        await pn532.ReadCommandAsync();
        await pn532.WriteAsync(Pn532Frames.Ack.ToArray());
        await pn532.WriteAsync(Pn532Frames.ErrorFrame.ToArray());
        var reply = await running;
        Assert.Null(reply.Data);
        Assert.False(reply.MissedDeadline);
    }

    [LinuxFact]
    public async Task Execute_FarEndGone_DeviceConnectionException()
    {
        var pn532 = new ScriptedPn532();
        var (client, _) = await pn532.ClientAsync(TimeSpan.FromSeconds(5));
        await using var owned = client;
        await pn532.DisposeAsync();
        await Assert.ThrowsAsync<DeviceConnectionException>(() => client.ExecuteAsync(InDataExchange, new byte[] { 0x01, 0x30, 0x04 }, EncoderRig.Bounded));
    }

    private sealed record HostFrame(Pn532FrameKind Kind, byte Code, byte[] Data);

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

        public async Task<(Pn532Client Client, SerialChannel Channel)> ClientAsync(TimeSpan replyTimeout)
        {
            var channel = new SerialChannel(new SerialEndpoint(_pty.LinkPath!, 115200, SerialParity.None), SerialDriver.Termios);
            await channel.OpenAsync(EncoderRig.Bounded);
            return (new Pn532Client(channel, replyTimeout, NullLogger.Instance), channel);
        }

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

        // The ACK, then the reply to InDataExchange carrying `data`.
        public async Task AnswerAsync(byte[] data)
        {
            await WriteAsync(Pn532Frames.Ack.ToArray());
            await WriteAsync(Pn532Frames.EncodeReply(InDataExchange, data));
        }

        // The next command frame from the host; its ACKs (aborts) are counted and skipped.
        public async Task<HostFrame> ReadCommandAsync()
        {
            while (true)
            {
                var frame = await ReadFrameAsync();
                if (frame.Kind == Pn532FrameKind.Information)
                {
                    return frame;
                }

                HostAcks += frame.Kind == Pn532FrameKind.Ack ? 1 : 0;
            }
        }

        public async Task<HostFrame> ReadFrameAsync()
        {
            var buffer = new byte[512];
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                if (TryTake() is { } frame)
                {
                    return frame;
                }

                var n = await _pty.ReadAsync(buffer, bounded.Token);
                _pending.AddRange(buffer.AsSpan(0, n));
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _pty.DisposeAsync();
            _folder.Dispose();
        }

        private HostFrame? TryTake()
        {
            while (true)
            {
                var bytes = _pending.ToArray();
                var complete = Pn532Frames.TryDecode(bytes, out var frame, out var consumed);
                _pending.RemoveRange(0, consumed);
                if (!complete)
                {
                    return null;
                }

                if (frame.Kind is Pn532FrameKind.Ack or Pn532FrameKind.Nack || (frame.Kind == Pn532FrameKind.Information && frame.Tfi == Pn532Frames.HostToPn532))
                {
                    return new HostFrame(frame.Kind, frame.Code, frame.Data.ToArray());
                }
            }
        }
    }
}
