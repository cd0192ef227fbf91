using System.Security.Cryptography;
using System.Text;
using Gateway.Service.Api;
using Gateway.Service.Storage;

namespace Gateway.Service.Console;

/// <summary>What <see cref="ConsoleForms.OnceAsync"/> did with a form post.</summary>
public enum FormRunResult
{
    /// <summary>The action succeeded now or earlier (a repeat): go to <see cref="FormRun.Location"/>.</summary>
    Done,

    /// <summary>The action refused; nothing was kept, and the same key may be posted again (it resumes).</summary>
    Refused,

    /// <summary>The key came with different input earlier: a stale or copied form.</summary>
    Mismatch,

    /// <summary>The first post with this key still runs after the wait: say so, the operator may post again.</summary>
    StillRunning,

    /// <summary>The form carried no usable key.</summary>
    NoKey,
}

public sealed record FormRun(FormRunResult Result, string? Location = null);

/// <summary>
/// The console's idempotency for money and card forms, on the API's own store (<see cref="IdempotencyStore"/>):
/// each such form carries a hidden key made when the form was shown, so a double click, a reload of the
/// post or a second tab acts once. A repeat while the first post runs waits for it and then shows its
/// result (the browser drops the first response on a double click); a repeat after success goes where
/// the first went; a refused post keeps nothing, so posting the same form again retries with the same
/// key (an issue on the encoder resumes its journal).
/// </summary>
public sealed class ConsoleForms
{
    /// <summary>The hidden field's name.</summary>
    public const string KeyField = "IdempotencyKey";

    /// <summary>How long a repeat waits for the first post of its key.</summary>
    public static readonly TimeSpan RepeatWait = TimeSpan.FromSeconds(90);

    private readonly IdempotencyStore _store;
    private readonly TimeProvider _time;

    public ConsoleForms(IdempotencyStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    /// <summary>A new key for a form being shown.</summary>
    public static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// Runs <paramref name="action"/> once per operator, form and key. The action returns where to go on
    /// success, or null when it refused (it has put its errors on the page). It runs to its end even if
    /// the browser goes away (a double click abandons the first post), so it gets no request token.
    /// </summary>
    public async Task<FormRun> OnceAsync(Actor actor, string form, string? key, IFormCollection fields, Func<Task<string?>> action, CancellationToken cancellationToken)
    {
        if (key is null || key.Length is 0 or > 128 || key.Any(c => c < '!' || c > '~'))
        {
            return new FormRun(FormRunResult.NoKey);
        }

        var route = "console " + form;
        var hash = Hash(fields);
        var deadline = _time.GetUtcNow() + RepeatWait;
        while (true)
        {
            var (start, stored) = await _store.BeginAsync(actor.OperatorId, route, key, hash, cancellationToken);
            switch (start)
            {
                case IdempotencyStart.Replay:
                    return new FormRun(FormRunResult.Done, stored!.Location);
                case IdempotencyStart.Mismatch:
                    return new FormRun(FormRunResult.Mismatch);
                case IdempotencyStart.InFlight:
                    if (_time.GetUtcNow() > deadline)
                    {
                        return new FormRun(FormRunResult.StillRunning);
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(200), _time, cancellationToken);
                    continue;
            }

            string? location;
            try
            {
                location = await action();
            }
            catch
            {
                _store.Release(actor.OperatorId, route, key);
                throw;
            }

            if (location is null)
            {
                _store.Release(actor.OperatorId, route, key);
                return new FormRun(FormRunResult.Refused);
            }

            await _store.CompleteAsync(actor.OperatorId, route, key, hash, new StoredResponse(StatusCodes.Status303SeeOther, null, location, []), CancellationToken.None);
            return new FormRun(FormRunResult.Done, location);
        }
    }

    /// <summary>The form's fields but the antiforgery token, in a fixed order: the same input hashes the same.</summary>
    private static string Hash(IFormCollection fields)
    {
        var text = new StringBuilder();
        foreach (var (name, values) in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (name == ConsoleComposition.AntiforgeryField)
            {
                continue;
            }

            text.Append(name).Append('=').AppendJoin('\u001f', values.ToArray()).Append('\u001e');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
