using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Gateway.Drivers;
using Gateway.Drivers.CardEncoders.Pn532;
using Gateway.Drivers.Channels;

namespace Gateway.Simulators.Encoder;

/// <summary>
/// A PN532 on a pseudo-terminal: reads host frames, answers each valid command with an ACK and then
/// its reply frame, each written in one piece (the Iot.Device.Bindings client reads a whole frame
/// body with one Read, and gives up when a first byte takes longer than about 89 ms).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class Pn532Simulator : IAsyncDisposable
{
    private readonly IByteChannel _channel;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private static readonly byte[] AckFrame = Pn532Frames.Ack.ToArray();
    private static readonly byte[] ErrorFrame = Pn532Frames.ErrorFrame.ToArray();
    private byte[]? _lastReply;

    private Pn532Simulator(IByteChannel channel, Pn532Emulator emulator)
    {
        _channel = channel;
        Emulator = emulator;
        _loop = DedicatedThreadContext.Run($"pn532-sim {channel.Name}", () => RunAsync(_stop.Token));
    }

    /// <summary>The device state (cards, faults) behind the port.</summary>
    public Pn532Emulator Emulator { get; }

    /// <summary>The port clients open (the link path, or the pts device).</summary>
    public string PortName => _channel.Name;

    /// <summary>Creates the pseudo-terminal, publishes it at <paramref name="linkPath"/> and starts answering.</summary>
    /// <exception cref="DeviceConnectionException">The pseudo-terminal or the link could not be created.</exception>
    public static Pn532Simulator Start(string linkPath, Pn532Emulator emulator) =>
        new(PseudoTerminal.Create(linkPath), emulator);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _channel.DisposeAsync();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or DeviceException)
        {
            // The loop ends by cancellation or by the channel closing under it.
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var pending = new List<byte>();
        while (!cancellationToken.IsCancellationRequested)
        {
            var n = await _channel.ReadAsync(buffer, cancellationToken);
            var arrived = Stopwatch.GetTimestamp();
            pending.AddRange(buffer.AsSpan(0, n));
            while (Next(pending, out var frame))
            {
                // The PN532 acts on a frame once its last byte is in: at the line rate, that is the
                // frame's bytes after the host began to send it (on a pty they all arrive at once).
                var timing = Emulator.Timing;
                var inbound = timing.Wire(frame.Length);
                Emulator.NoteModelledTime(inbound, TimeSpan.Zero);
                arrived = Pace.After(arrived, inbound);
                await AnswerAsync(frame, arrived, timing, cancellationToken);
            }
        }
    }

    // The next frame from the host: a command, an ACK or a NACK. Replies, error frames and damaged
    // frames on the line are ignored, as a PN532 ignores them.
    private static bool Next(List<byte> pending, out HostFrame frame)
    {
        while (true)
        {
            var complete = Pn532Frames.TryDecode(CollectionsMarshal.AsSpan(pending), out var decoded, out var consumed);
            var wanted = complete && (decoded.Kind is Pn532FrameKind.Ack or Pn532FrameKind.Nack || (decoded.Kind == Pn532FrameKind.Information && decoded.Tfi == Pn532Frames.HostToPn532));
            frame = wanted ? new HostFrame(decoded.Kind, decoded.Code, decoded.Data.ToArray(), consumed) : default;
            pending.RemoveRange(0, consumed);
            if (!complete || wanted)
            {
                return wanted;
            }
        }
    }

    // Answers a host frame whose last byte arrived at `received` (a Stopwatch timestamp). With timing
    // on, each frame the PN532 sends reaches the host its line time after the line is free, and the
    // reply not before the card has done the command (which starts as the ACK goes out).
    private async Task AnswerAsync(HostFrame frame, long received, EncoderTiming timing, CancellationToken cancellationToken)
    {
        if (Emulator.Stalled)
        {
            Emulator.NoteIgnoredWhileStalled();
            return;
        }

        switch (frame.Kind)
        {
            case Pn532FrameKind.Ack:
                return;
            case Pn532FrameKind.Nack:
                if (_lastReply is not null)
                {
                    await SendAsync(_lastReply, received, timing, cancellationToken);
                }

                return;
        }

        var lineFree = await SendAsync(AckFrame, received, timing, cancellationToken);
        if (!Pn532Emulator.IsKnown(frame.Command))
        {
            _lastReply = ErrorFrame;
            await SendAsync(_lastReply, lineFree, timing, cancellationToken);
            return;
        }

        var reply = Emulator.Handle(frame.Command, frame.Data, out var cardTime);
        if (reply is null)
        {
            return;
        }

        // The card works from the moment the command is in (while the ACK is on the line).
        var work = cardTime + timing.Pn532Processing;
        Emulator.NoteModelledTime(TimeSpan.Zero, work);
        var done = Pace.After(received, work);

        var delay = Emulator.NextReplyDelay(frame.Command);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }

        _lastReply = Pn532Frames.EncodeReply(frame.Command, reply);
        await SendAsync(_lastReply, Math.Max(lineFree, done), timing, cancellationToken);
    }

    // Writes `frame` once its last byte would have reached the host (its line time after `start`,
    // or at once with timing off); returns when the line is free again.
    private async Task<long> SendAsync(byte[] frame, long start, EncoderTiming timing, CancellationToken cancellationToken)
    {
        var wire = timing.Wire(frame.Length);
        var end = Pace.After(Math.Max(start, Stopwatch.GetTimestamp()), wire);
        if (timing.Enabled)
        {
            Emulator.NoteModelledTime(wire, TimeSpan.Zero);
            Pace.Until(end);
        }

        await _channel.WriteAsync(frame, cancellationToken);
        return end;
    }

    // A command (with its code and parameters), or the host's ACK or NACK, and its bytes on the line.
    private readonly record struct HostFrame(Pn532FrameKind Kind, byte Command, byte[] Data, int Length);
}
