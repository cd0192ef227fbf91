namespace Gateway.Drivers.Channels;

/// <summary>
/// The one transport seam: moves bytes, knows nothing of framing. Serial ports, TCP sockets and
/// pseudo-terminals implement it, so that protocol code and tests run over any of them.
/// </summary>
/// <remarks>
/// Implementations translate socket and I/O errors into <see cref="DeviceConnectionException"/>
/// in one place and let <see cref="OperationCanceledException"/> pass untouched. They do not retry.
/// </remarks>
public interface IByteChannel : IAsyncDisposable
{
    /// <summary>What the channel is connected to, for errors and logs (an endpoint string or port path).</summary>
    string Name { get; }

    /// <summary>True while the channel is open and has not seen its peer go away.</summary>
    bool IsConnected { get; }

    /// <summary>Opens (or re-opens after a loss) the underlying port or connection.</summary>
    /// <exception cref="DeviceConnectionException">The port or peer could not be reached.</exception>
    ValueTask OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Reads at least one byte into <paramref name="buffer"/>, waiting as long as the token allows.
    /// Returns the number of bytes read; never returns 0 for a non-empty buffer.
    /// </summary>
    /// <exception cref="DeviceConnectionException">The peer closed or the port vanished.</exception>
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Writes all of <paramref name="buffer"/>.</summary>
    /// <exception cref="DeviceConnectionException">The peer closed or the port vanished.</exception>
    ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Drops every byte received and not yet read (stale replies, line noise).</summary>
    void DiscardInput();
}
