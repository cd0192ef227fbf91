using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Gateway.Simulators.Encoder;

/// <summary>
/// The time a real desk encoder spends that the simulator would otherwise not: the PN532's serial
/// line and the card's own time per command. On by default in <c>gateway-sim encoder</c> (the demo and
/// the benchmark); <see cref="Off"/> for the in-process rigs of the driver tests, which issue hundreds of
/// cards and inject their own late replies.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Line: 10 bits a byte (start, 8 data, stop; the HSU's default rate is 115200 baud; frames per UM0701-02 §6.2.1.1),
/// for every byte the PN532 sends (ACK, reply, error frame) and every byte of the host's command, which
/// the PN532 can act on only once its last byte has arrived.</item>
/// <item>Card: NXP MF1S50yyX/V1 (MIFARE Classic EV1 1K) data sheet, Rev. 3.0, §8.2 Fig. 4 "typical
/// transaction time": identification and selection ~2.5 ms without collision (+~1 ms for a 7-byte UID),
/// authentication ~2 ms, read block ~2.5 ms, write block ~5.5 ms. The card time runs while the PN532
/// sends its ACK; the reply leaves once both are done.</item>
/// <item>Not modelled, for want of a public figure: the PN532's own processing time
/// (<see cref="Pn532Processing"/>, 0 unless set), a PC/SC reader's USB and firmware time per APDU
/// (<see cref="ReaderApdu"/>, 0 unless set), and the RF timeout a command to a card that left spends.</item>
/// </list>
/// </remarks>
public sealed record EncoderTiming
{
    /// <summary>No modelled time: every answer as soon as it is computed.</summary>
    public static EncoderTiming Off { get; } = new() { Enabled = false };

    /// <summary>115200 baud and the data sheet's typical card times.</summary>
    public static EncoderTiming DataSheet { get; } = new();

    /// <summary>False: nothing is modelled.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The HSU line's rate (the PN532's default, 115200 baud).</summary>
    public int BaudRate { get; init; } = 115200;

    /// <summary>Identification and selection of one card, 4-byte UID (MF1S50yyX/V1 §8.2: ~2.5 ms).</summary>
    public TimeSpan Selection { get; init; } = TimeSpan.FromMilliseconds(2.5);

    /// <summary>Added to <see cref="Selection"/> for a 7-byte UID (MF1S50yyX/V1 §8.2: ~1 ms, a second cascade level).</summary>
    public TimeSpan SevenByteUid { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Three-pass authentication (MF1S50yyX/V1 §8.2: ~2 ms).</summary>
    public TimeSpan Authentication { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Read one block (MF1S50yyX/V1 §8.2: ~2.5 ms).</summary>
    public TimeSpan ReadBlock { get; init; } = TimeSpan.FromMilliseconds(2.5);

    /// <summary>Write one block (MF1S50yyX/V1 §8.2: ~5.5 ms).</summary>
    public TimeSpan WriteBlock { get; init; } = TimeSpan.FromMilliseconds(5.5);

    /// <summary>The PN532's own time per command: no public figure, so 0 unless given.</summary>
    public TimeSpan Pn532Processing { get; init; }

    /// <summary>A PC/SC reader's own time per APDU (USB CCID transfers, firmware): no public figure, so 0 unless given.</summary>
    public TimeSpan ReaderApdu { get; init; }

    /// <summary>The time <paramref name="bytes"/> take on the line (10 bits each); zero when off.</summary>
    public TimeSpan Wire(int bytes) =>
        Enabled ? TimeSpan.FromTicks((long)bytes * 10 * TimeSpan.TicksPerSecond / BaudRate) : TimeSpan.Zero;

    /// <summary>The card's time for selecting one card with a UID of <paramref name="uidLength"/> bytes.</summary>
    public TimeSpan Select(int uidLength) =>
        Enabled ? Selection + (uidLength > 4 ? SevenByteUid : TimeSpan.Zero) : TimeSpan.Zero;

    /// <summary>The card's time for a MIFARE command (60h/61h authenticate, 30h read, A0h write); zero for others or when off.</summary>
    public TimeSpan MifareCommand(byte code) => !Enabled ? TimeSpan.Zero : code switch
    {
        0x60 or 0x61 => Authentication,
        0x30 => ReadBlock,
        0xA0 => WriteBlock,
        _ => TimeSpan.Zero,
    };

    /// <summary>One line, for the simulator's start-up message.</summary>
    public string Describe() => !Enabled
        ? "timing off"
        : FormattableString.Invariant($"timing on: {BaudRate} baud, card select {Selection.TotalMilliseconds} ms, auth {Authentication.TotalMilliseconds} ms, read {ReadBlock.TotalMilliseconds} ms, write {WriteBlock.TotalMilliseconds} ms, PN532 processing {Pn532Processing.TotalMilliseconds} ms, reader per APDU {ReaderApdu.TotalMilliseconds} ms");
}

/// <summary>
/// Waits until a moment on the <see cref="Stopwatch"/> clock, never returning before it: the
/// modelled times are lower bounds, so an early wake-up would make the simulator faster than the
/// hardware. nanosleep(2) on Linux (≈50 µs of slack, where a millisecond timer would add up to 1 ms a
/// wait), a millisecond sleep then yields elsewhere.
/// </summary>
internal static class Pace
{
    /// <summary>Blocks the calling thread until <paramref name="deadline"/> (a <see cref="Stopwatch.GetTimestamp"/> value).</summary>
    public static void Until(long deadline)
    {
        while (true)
        {
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            if (OperatingSystem.IsLinux())
            {
                var request = new TimeSpec { Seconds = (long)remaining.TotalSeconds, Nanoseconds = remaining.Ticks % TimeSpan.TicksPerSecond * 100 };
                _ = NanoSleep(in request, IntPtr.Zero);
            }
            else if (remaining >= TimeSpan.FromMilliseconds(1))
            {
                Thread.Sleep((int)remaining.TotalMilliseconds);
            }
            else
            {
                Thread.Yield();
            }
        }
    }

    /// <summary>The Stopwatch timestamp <paramref name="span"/> after <paramref name="from"/>.</summary>
    public static long After(long from, TimeSpan span) => from + (long)(span.Ticks * (Stopwatch.Frequency / (double)TimeSpan.TicksPerSecond));

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
    private static extern int NanoSleep(in TimeSpec request, IntPtr remaining);
}
