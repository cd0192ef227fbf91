using System.Runtime.Versioning;
using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;
using Gateway.Simulators.Encoder;

namespace Gateway.Drivers.Tests.CardEncoders;

/// <summary>
/// A card torn off the encoder after every single card command of an issue (and of an erase), then
/// presented again: it is recognised, finished or rolled back, and never left with keys nobody knows.
/// </summary>
[Collection("pn532")]
[SupportedOSPlatform("linux")]
public sealed class TornCardTests
{
    private static readonly CardIssueRequest Request = new(9001, CardKind.Parking, 1);

    [LinuxFact]
    public async Task Issue_TornInEveryStep_RecoveredByFinishOrRollBack()
    {
        await using var rig = new EncoderRig(placeCard: false);
        var points = await TearPointsAsync(rig, c => rig.Encoder.IssueAsync(Request, c));
        Assert.True(points.Count >= 8, $"tear points: {string.Join(',', points)}");

        foreach (var n in points)
        {
            var card = rig.Emulator.PlaceNewCard(MifareClassicType.Classic1K);
            var uid = Convert.ToHexString(card.Uid);
            rig.Emulator.TearAfter(n);
            var completed = await TryAsync(() => rig.Encoder.IssueAsync(Request, EncoderRig.Bounded));
            rig.Emulator.TearAfter(-1);
            rig.Emulator.RemoveAll();
            AssertEveryKeyKnown(rig.Keys, card);

            Assert.True(rig.Emulator.Place(uid));
            var rollBack = n % 2 == 1;
            var journaled = rig.Journal.Operations.Any(o => o.CardUid == uid);
            if (!journaled)
            {
                // Torn while checking that the card is blank, before anything was journaled or written.
                Assert.False(completed);
                var untouched = await Assert.ThrowsAsync<NotGatewayCardException>(() => rig.Encoder.ReadAsync(EncoderRig.Bounded));
                Assert.Equal(NotGatewayCardReason.Blank, untouched.Reason);
                AssertTransport(card);
                rig.Emulator.RemoveAll();
                continue;
            }

            if (!completed)
            {
                var read = await Assert.ThrowsAsync<NotGatewayCardException>(() => rig.Encoder.ReadAsync(EncoderRig.Bounded));
                Assert.Equal(NotGatewayCardReason.Torn, read.Reason);
                var outcome = await rig.Encoder.RecoverAsync(rollBack, EncoderRig.Bounded);
                Assert.Equal(rollBack ? CardWriteOutcome.RolledBack : CardWriteOutcome.Completed, outcome);
            }

            if (completed || !rollBack)
            {
                Assert.Equal(9001u, (await rig.Encoder.ReadAsync(EncoderRig.Bounded)).Payload.CardNumber);
            }
            else
            {
                var blank = await Assert.ThrowsAsync<NotGatewayCardException>(() => rig.Encoder.ReadAsync(EncoderRig.Bounded));
                Assert.Equal(NotGatewayCardReason.Blank, blank.Reason);
                AssertTransport(card);
            }

            Assert.Null(await rig.Journal.FindOpenAsync(uid, EncoderRig.Bounded));
            rig.Emulator.RemoveAll();
        }
    }

    [LinuxFact]
    public async Task Erase_TornInEveryStep_FinishedToBlank()
    {
        await using var rig = new EncoderRig(placeCard: false);
        rig.Emulator.PlaceNewCard(MifareClassicType.Classic1K);
        await rig.Encoder.IssueAsync(Request, EncoderRig.Bounded);
        var points = await TearPointsAsync(rig, c => rig.Encoder.EraseAsync(c), placeNew: false, midpoints: false);

        foreach (var n in points)
        {
            var card = rig.Emulator.PlaceNewCard(MifareClassicType.Classic1K);
            var uid = Convert.ToHexString(card.Uid);
            await rig.Encoder.IssueAsync(Request, EncoderRig.Bounded);
            rig.Emulator.TearAfter(n);
            var completed = await TryAsync(() => rig.Encoder.EraseAsync(EncoderRig.Bounded));
            rig.Emulator.TearAfter(-1);
            AssertEveryKeyKnown(rig.Keys, card);

            rig.Emulator.RemoveAll();
            Assert.True(rig.Emulator.Place(uid));
            if (!completed)
            {
                Assert.Equal(CardWriteOutcome.Completed, await rig.Encoder.RecoverAsync(rollBack: false, EncoderRig.Bounded));
            }

            AssertTransport(card);
            rig.Emulator.RemoveAll();
        }
    }

    // Runs the operation once untorn and returns where to tear: just after the first card command
    // of every journaled step, in the middle of each step, and just before the last command.
    private static async Task<List<int>> TearPointsAsync(EncoderRig rig, Func<CancellationToken, Task> operation, bool placeNew = true, bool midpoints = true)
    {
        if (placeNew)
        {
            rig.Emulator.PlaceNewCard(MifareClassicType.Classic1K);
        }

        var origin = rig.Emulator.CardCommandCount;
        var marksBefore = rig.Journal.Marks.Count;
        await operation(EncoderRig.Bounded);
        var total = (int)(rig.Emulator.CardCommandCount - origin);
        rig.Emulator.RemoveAll();
        List<int> starts = [.. rig.Journal.Marks.Skip(marksBefore).Select(m => (int)(m - origin)), total];
        var points = new SortedSet<int> { 1, total - 1 };

        for (var i = 0; i + 1 < starts.Count; i++)
        {
            points.Add(starts[i] + 1);
            if (midpoints)
            {
                points.Add((starts[i] + starts[i + 1]) / 2);
            }
        }

        return [.. points.Where(p => p >= 1 && p < total)];
    }

    // True when the operation completed before the tear; false when the tear stopped it, which the
    // encoder reports as the card taken off and nothing else: a refused key or a failed write here is a bug.
    private static async Task<bool> TryAsync(Func<Task> operation)
    {
        try
        {
            await operation();
            return true;
        }
        catch (CardNotPresentException)
        {
            return false;
        }
    }

    private static void AssertEveryKeyKnown(SiteCardKeys keys, VirtualMifareCard card)
    {
        var memory = card.Dump();
        Assert.Empty(card.LockedSectors);
        for (var sector = 0; sector < MifareClassic.SectorCount(card.Type); sector++)
        {
            var trailer = memory[MifareClassic.TrailerBlock(sector)];
            var transport = trailer[..6].SequenceEqual(MifareClassic.TransportKey.ToArray()) && trailer[10..].SequenceEqual(MifareClassic.TransportKey.ToArray());
            var issued = trailer[..6].SequenceEqual(keys.SectorKey(card.Uid, 1, sector, MifareKeySlot.A)) && trailer[10..].SequenceEqual(keys.SectorKey(card.Uid, 1, sector, MifareKeySlot.B));
            Assert.True(transport || issued, $"sector {sector} has keys that are neither transport nor this card's");
        }
    }

    private static void AssertTransport(VirtualMifareCard card)
    {
        var memory = card.Dump();
        var transport = AccessBits.BuildTrailer(MifareClassic.TransportKey, AccessBits.Transport, MifareClassic.TransportKey);
        Assert.All(Enumerable.Range(0, MifareClassic.SectorCount(card.Type)), s => Assert.Equal(transport, memory[MifareClassic.TrailerBlock(s)]));
        Assert.All(CardLayout.PayloadBlocks, b => Assert.Equal(new byte[16], memory[b]));
    }
}
