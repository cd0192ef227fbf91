using System.Collections.Concurrent;

namespace Gateway.Simulators.Encoder;

/// <summary>
/// Runs an async loop on one dedicated thread: every continuation comes back to that thread, so the
/// simulator's reply latency does not depend on the thread pool (a PN532 client gives up after
/// about 89 ms, and a busy pool on a 2-core machine can take longer than that to run a continuation).
/// </summary>
internal sealed class DedicatedThreadContext : SynchronizationContext
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];

    private DedicatedThreadContext()
    {
    }

    /// <summary>Starts <paramref name="loop"/> on a new thread; the task completes when the loop ends.</summary>
    public static Task Run(string name, Func<Task> loop)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var context = new DedicatedThreadContext();
            SetSynchronizationContext(context);
            var task = loop();
            task.ContinueWith(_ => context._queue.CompleteAdding(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            foreach (var (callback, state) in context._queue.GetConsumingEnumerable())
            {
                callback(state);
            }

            if (task.Exception is { } error)
            {
                done.SetException(error.InnerExceptions);
            }
            else if (task.IsCanceled)
            {
                done.SetCanceled();
            }
            else
            {
                done.SetResult();
            }

            context._queue.Dispose();
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        try
        {
            _queue.Add((d, state));
        }
        catch (InvalidOperationException)
        {
            // The loop has ended; late continuations have nothing left to do.
        }
    }

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("Send is not supported on the simulator thread");

    public override SynchronizationContext CreateCopy() => this;
}
