using System.Runtime.Versioning;
using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;

namespace Gateway.Drivers.Tests.CardEncoders;

/// <summary>
/// Replies that come late, as from a loaded front-desk PC or a slow reader: issuing still succeeds
/// and the card is verified correct. No <see cref="EncoderRig.RetryAsync"/> here: a transient
/// failure is exactly what these tests must not see.
/// </summary>
[Collection("pn532")]
[SupportedOSPlatform("linux")]
public sealed class SlowReaderTests
{
    private static readonly CardIssueRequest Request = new(5150, CardKind.Access, 1);

    [LinuxFact]
    public async Task Issue_RepliesLaterThanTheBindingDeadline_IssuedAndVerified()
    {
        await using var rig = new EncoderRig();

        // 200 ms is more than twice the binding's fixed 89 ms and well inside the 500 ms default.
        rig.Emulator.ReplyDelay = TimeSpan.FromMilliseconds(200);
        rig.Emulator.ReplyDelayEvery = 8;
        await rig.Encoder.IssueAsync(Request, EncoderRig.Bounded);
        await rig.Encoder.VerifyAsync(Expected(rig), EncoderRig.Bounded);

        Assert.True(rig.Emulator.DelayedReplyCount >= 5, $"only {rig.Emulator.DelayedReplyCount} replies were delayed");
        await AssertIssuedAsync(rig);
    }

    [LinuxTheory]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(17)]
    public async Task Issue_RepliesLaterThanTheDeadline_StaleRepliesDropped_IssuedAndVerified(int every)
    {
        // Each delayed reply misses the encoder's deadline and arrives while it already waits for
        // the next command's answer: it must be dropped, never taken as that answer.
        // Deadline and delay wide enough that only the delayed replies miss it on a loaded 2-core CI machine.
        await using var rig = new EncoderRig(configure: o => o with { ReplyTimeout = TimeSpan.FromMilliseconds(300) });
        rig.Emulator.ReplyDelay = TimeSpan.FromMilliseconds(450);
        rig.Emulator.ReplyDelayEvery = every;
        await rig.Encoder.IssueAsync(Request, EncoderRig.Bounded);

        Assert.True(rig.Emulator.DelayedReplyCount >= 2, $"only {rig.Emulator.DelayedReplyCount} replies were delayed");
        rig.Emulator.ReplyDelay = TimeSpan.Zero;
        await AssertIssuedAsync(rig);
    }

    private static CardPayload Expected(EncoderRig rig) => new("site-7", Request.CardNumber, Request.Kind, Request.IssueCounter, rig.Keys.CurrentVersion);

    // The card as the chip holds it: every sector re-keyed with Gateway's access bits, and a second
    // encoder with no fault reads and verifies the payload (magic, MAC, site).
    private static async Task AssertIssuedAsync(EncoderRig rig)
    {
        var memory = rig.Emulator.Dump(rig.Uid)!;
        for (var sector = 0; sector < 16; sector++)
        {
            var trailer = memory[MifareClassic.TrailerBlock(sector)];
            Assert.Equal(AccessBits.Issued.Encode(), trailer[6..9]);
            Assert.Equal(rig.Keys.SectorKey(rig.Card!.Uid, 1, sector, MifareKeySlot.A), trailer[..6]);
            Assert.Equal(rig.Keys.SectorKey(rig.Card!.Uid, 1, sector, MifareKeySlot.B), trailer[10..]);
        }

        await using var fresh = rig.OtherEncoder("site-7", rig.Keys);
        var read = await fresh.ReadAsync(EncoderRig.Bounded);
        Assert.Equal(Expected(rig), read.Payload);
        await fresh.VerifyAsync(Expected(rig), EncoderRig.Bounded);
        Assert.Equal(CardWriteOutcome.Completed, Assert.Single(rig.Journal.Operations).Outcome);
    }
}
