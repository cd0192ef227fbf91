using Microsoft.Extensions.Logging;

namespace Gateway.Drivers.CardEncoders;

/// <summary>
/// The reader's lifecycle under an encoder: opens a <see cref="ICardBlockTransport"/> on first use,
/// lends it to one operation at a time, and after a transport fault
/// (<see cref="EncoderNotRespondingException"/>) drops it, so that the next operation opens the reader
/// again — a replugged reader or a restarted simulator works without restarting anything.
/// </summary>
internal sealed class ReaderHost : IAsyncDisposable
{
    private readonly string _name;
    private readonly Func<CancellationToken, Task<ICardBlockTransport>> _open;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ICardBlockTransport? _transport;
    private long _closedCommands;
    private bool _disposed;

    /// <param name="name">The reader, for errors and logs.</param>
    /// <param name="open">Opens the reader; throws <see cref="EncoderNotRespondingException"/> when it cannot.</param>
    /// <param name="logger">Where opening and losing the reader are logged.</param>
    public ReaderHost(string name, Func<CancellationToken, Task<ICardBlockTransport>> open, ILogger logger)
    {
        _name = name;
        _open = open;
        _logger = logger;
    }

    /// <summary>Reader commands sent through every transport this host opened.</summary>
    public long CommandCount => Interlocked.Read(ref _closedCommands) + (Volatile.Read(ref _transport)?.CommandCount ?? 0);

    /// <summary>
    /// Runs <paramref name="work"/> with the open reader, after any operation in progress. A transport
    /// fault drops the reader before the exception reaches the caller.
    /// </summary>
    public async Task<T> UseAsync<T>(Func<ICardBlockTransport, Task<T>> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var transport = await OpenAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await work(transport).ConfigureAwait(false);
            }
            catch (EncoderNotRespondingException)
            {
                await DropAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_transport is { } transport)
            {
                _transport = null;
                await transport.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ICardBlockTransport> OpenAsync(CancellationToken cancellationToken)
    {
        if (_transport is { } open)
        {
            return open;
        }

        // Opening is tried twice: a reader just plugged in (or a simulator just started) may miss
        // the first frames.
        try
        {
            Volatile.Write(ref _transport, await _open(cancellationToken).ConfigureAwait(false));
        }
        catch (EncoderNotRespondingException ex)
        {
            _logger.LogInformation("Card reader on {Port} did not answer at open ({Reason}); trying once more", _name, ex.Message);
            Volatile.Write(ref _transport, await _open(cancellationToken).ConfigureAwait(false));
        }

        return _transport!;
    }

    private async Task DropAsync()
    {
        if (_transport is not { } transport)
        {
            return;
        }

        Interlocked.Add(ref _closedCommands, transport.CommandCount);
        Volatile.Write(ref _transport, null);
        await transport.DisposeAsync().ConfigureAwait(false);
        _logger.LogWarning("Lost the card reader on {Port}; it will be reopened on the next operation", _name);
    }
}
