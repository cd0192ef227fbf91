using Gateway.Drivers.Channels;

namespace Gateway.Drivers.Tests.Channels;

internal static class ChannelReads
{
    /// <summary>Reads exactly <paramref name="count"/> bytes (bounded by 10 s for a hung test).</summary>
    public static async Task<byte[]> ReadExactlyAsync(this IByteChannel channel, int count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[count];
        var got = 0;
        while (got < count)
        {
            got += await channel.ReadAsync(buffer.AsMemory(got), cts.Token);
        }

        return buffer;
    }
}
