using System.Collections.Concurrent;

namespace Gateway.Drivers.CardEncoders;

/// <summary>
/// One thread of its own that runs synchronous reader calls one after another, for reader libraries
/// that block and are not thread-safe (the Iot.Device.Bindings Pn532 class, which also sleeps 1 ms
/// at a time while it polls): they neither hold thread-pool threads nor run two calls at once.
/// </summary>
internal sealed class DedicatedWorker : IDisposable
{
    private readonly BlockingCollection<Action> _queue = [];
    private readonly Thread _thread;

    public DedicatedWorker(string name)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Runs <paramref name="work"/> on the worker; cancellation is honoured before it starts, never in the middle.</summary>
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _queue.Add(() =>
            {
                try
                {
                    done.SetResult(work());
                }
                catch (Exception ex)
                {
                    done.SetException(ex);
                }
            });
        }
        catch (InvalidOperationException ex)
        {
            throw new ObjectDisposedException(_thread.Name, ex);
        }

        return done.Task;
    }

    /// <summary>Lets queued work finish (up to 5 s) and ends the thread.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    private void Loop()
    {
        foreach (var item in _queue.GetConsumingEnumerable())
        {
            item();
        }
    }
}
