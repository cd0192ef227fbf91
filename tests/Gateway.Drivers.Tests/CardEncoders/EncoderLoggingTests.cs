using System.Runtime.Versioning;
using Gateway.Drivers.CardEncoders;
using Gateway.Drivers.CardEncoders.Keys;
using Gateway.Drivers.CardEncoders.Layout;
using Microsoft.Extensions.Logging;

namespace Gateway.Drivers.Tests.CardEncoders;

[Collection("pn532")]
[SupportedOSPlatform("linux")]
public sealed class EncoderLoggingTests
{
    [LinuxTheory]
    [InlineData(Pn532Transport.Binding, false)]
    [InlineData(Pn532Transport.Binding, true)]
    [InlineData(Pn532Transport.Direct, true)]
    public async Task IssueReadErase_MostVerboseLevel_NoKeyBytesReachAnySink(Pn532Transport transport, bool diagnostics)
    {
        var sink = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(sink));
        BindingLogRouting.Install(factory, diagnostics);
        try
        {
            await EncoderRig.RetryAsync(() => new EncoderRig(), rig => RunAsync(rig, factory, sink, transport, diagnostics));
        }
        finally
        {
            BindingLogRouting.Install(null);
        }
    }

    private static async Task RunAsync(EncoderRig rig, ILoggerFactory factory, CapturingLoggerProvider sink, Pn532Transport transport, bool diagnostics)
    {
        {
            while (sink.Entries.TryDequeue(out _))
            {
            }

            await using var encoder = new Pn532CardEncoder(new Pn532EncoderOptions(rig.Link, "site-7") { Transport = transport, ReplyTimeout = TimeSpan.FromMilliseconds(100) }, rig.Keys, rig.Journal, factory.CreateLogger<Pn532CardEncoder>());
            if (transport == Pn532Transport.Direct)
            {
                // Late replies, so that the frame layer's own Debug messages (missed deadline, stale frames) are logged too.
                rig.Emulator.ReplyDelay = TimeSpan.FromMilliseconds(150);
                rig.Emulator.ReplyDelayEvery = 17;
            }

            await encoder.IssueAsync(new CardIssueRequest(77, CardKind.Access, 1), EncoderRig.Bounded);
            await encoder.ReadAsync(EncoderRig.Bounded);
            await encoder.EraseAsync(EncoderRig.Bounded);

            var uid = rig.Card!.Uid;
            var secrets = new List<string>();
            for (var sector = 0; sector < 16; sector++)
            {
                foreach (var slot in new[] { MifareKeySlot.A, MifareKeySlot.B })
                {
                    var key = rig.Keys.SectorKey(uid, 1, sector, slot);
                    secrets.Add(BitConverter.ToString(key));
                    secrets.Add(Convert.ToHexString(key));
                }
            }

            Assert.NotEmpty(sink.Entries);
            Assert.Contains(sink.Entries, e => e.Category.StartsWith("Gateway", StringComparison.Ordinal));
            if (diagnostics && transport == Pn532Transport.Binding)
            {
                // The binding's frame dumps do arrive, masked.
                Assert.Contains(sink.Entries, e => e.Level == LogLevel.Debug && e.Message.Contains("-**-**-**-**-**-**", StringComparison.Ordinal));
            }
            else
            {
                Assert.DoesNotContain(sink.Entries, e => e.Category.StartsWith(BindingLogRouting.CategoryPrefix, StringComparison.Ordinal) && e.Level < LogLevel.Information);
            }

            if (transport == Pn532Transport.Direct)
            {
                Assert.True(rig.Emulator.DelayedReplyCount > 0);
                Assert.Contains(sink.Entries, e => e.Level == LogLevel.Debug && e.Message.Contains("no reply to command 40", StringComparison.Ordinal));
            }

            foreach (var (category, _, message) in sink.Entries)
            {
                foreach (var secret in secrets)
                {
                    Assert.False(message.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{category} logged key bytes: {message}");
                }
            }
        }
    }

    [Fact]
    public void Redact_AuthenticationAndWriteFrames_MasksKeysAndData()
    {
        var text = BindingLogRouting.Redact("Message to send: 00-FF-0F-F1-D4-40-01-60-07-11-22-33-44-55-66-30-40-50-60-6A and 01-A0-07-01-02-03-04-05-06-78-77-88-69-0A-0B-0C-0D-0E-0F");
        Assert.DoesNotContain("11-22-33", text, StringComparison.Ordinal);
        Assert.DoesNotContain("0A-0B-0C", text, StringComparison.Ordinal);
        Assert.Contains("60-07-**", text, StringComparison.Ordinal);
        Assert.Contains("30-40-50-60", text, StringComparison.Ordinal);
    }
}
