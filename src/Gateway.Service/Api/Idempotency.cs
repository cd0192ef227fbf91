using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Api;

/// <summary>Endpoint metadata: this endpoint requires an <c>Idempotency-Key</c> header.</summary>
public sealed class IdempotencyMetadata
{
    public static IdempotencyMetadata Required { get; } = new();
}

public static class IdempotencyEndpointExtensions
{
    /// <summary>
    /// Requires an <c>Idempotency-Key</c> on this endpoint (issue, replace, payment, grant, import):
    /// the first response is stored for 24 h per (operator, method and path, key) and replayed for a
    /// repeat with the same body; a different body → 422; a repeat while the first runs → 409.
    /// </summary>
    public static TBuilder RequireIdempotencyKey<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(IdempotencyMetadata.Required);
        return builder;
    }
}

/// <summary>What <see cref="IdempotencyStore.BeginAsync"/> found.</summary>
public enum IdempotencyStart
{
    /// <summary>No live record: this request runs and its response will be stored.</summary>
    Started,

    /// <summary>The same request completed earlier: replay its stored response.</summary>
    Replay,

    /// <summary>The key was used with a different request: 422.</summary>
    Mismatch,

    /// <summary>The first request with this key is still running: 409.</summary>
    InFlight,
}

/// <summary>A stored response.</summary>
public sealed record StoredResponse(int StatusCode, string? ContentType, string? Location, byte[] Body);

/// <summary>
/// The <c>idempotency_requests</c> table. A record is created "running" before the handler runs and
/// becomes "done" with the response afterwards; a 5xx or an exception deletes it so the client may
/// retry with the same key. A running record left by a process that died (another owner) is taken
/// over. Records older than <see cref="Retention"/> are ignored and purged.
/// </summary>
public sealed class IdempotencyStore
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    private readonly UnitOfWorkFactory _writes;
    private readonly TimeProvider _time;
    private long _lastPurgeTicks;

    public IdempotencyStore(UnitOfWorkFactory writes, TimeProvider time)
    {
        _writes = writes;
        _time = time;
    }

    /// <summary>Identifies this process; a running record of another owner was abandoned by a crash.</summary>
    public string Owner { get; } = Guid.NewGuid().ToString("N");

    public Task<(IdempotencyStart Start, StoredResponse? Response)> BeginAsync(string operatorId, string route, string key, string requestHash, CancellationToken cancellationToken) =>
        _writes.RunExclusiveAsync(
            async (connection, transaction) =>
            {
                var now = _time.GetUtcNow();
                await PurgeIfDueAsync(connection, transaction, now, cancellationToken);
                await using (var read = Command(connection, transaction, "SELECT request_hash, state, owner, status_code, content_type, location, response_body, created_utc FROM idempotency_requests WHERE operator_id = $op AND route = $route AND idem_key = $key"))
                {
                    Bind(read, operatorId, route, key);
                    await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                    if (await reader.ReadAsync(cancellationToken))
                    {
                        var created = UnitOfWork.ParseTimestamp(reader.GetString(7));
                        var state = reader.GetString(1);
                        var abandoned = state == "running" && reader.GetString(2) != Owner;
                        if (now - created < Retention && !abandoned)
                        {
                            if (reader.GetString(0) != requestHash)
                            {
                                return (IdempotencyStart.Mismatch, null);
                            }

                            if (state == "running")
                            {
                                return (IdempotencyStart.InFlight, null);
                            }

                            return (IdempotencyStart.Replay, new StoredResponse(
                                reader.GetInt32(3),
                                reader.IsDBNull(4) ? null : reader.GetString(4),
                                reader.IsDBNull(5) ? null : reader.GetString(5),
                                reader.IsDBNull(6) ? [] : (byte[])reader.GetValue(6)));
                        }
                    }
                }

                await using var write = Command(connection, transaction, """
                    INSERT INTO idempotency_requests(operator_id, route, idem_key, request_hash, state, owner, created_utc)
                    VALUES ($op, $route, $key, $hash, 'running', $owner, $now)
                    ON CONFLICT(operator_id, route, idem_key) DO UPDATE SET
                        request_hash = excluded.request_hash, state = 'running', owner = excluded.owner,
                        status_code = NULL, content_type = NULL, location = NULL, response_body = NULL, created_utc = excluded.created_utc
                    """);
                Bind(write, operatorId, route, key);
                write.Parameters.AddWithValue("$hash", requestHash);
                write.Parameters.AddWithValue("$owner", Owner);
                write.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(now));
                await write.ExecuteNonQueryAsync(cancellationToken);
                return (IdempotencyStart.Started, (StoredResponse?)null);
            },
            cancellationToken);

    public Task CompleteAsync(string operatorId, string route, string key, StoredResponse response, CancellationToken cancellationToken) =>
        _writes.RunExclusiveAsync(
            async (connection, transaction) =>
            {
                await using var write = Command(connection, transaction, "UPDATE idempotency_requests SET state = 'done', status_code = $status, content_type = $type, location = $location, response_body = $body WHERE operator_id = $op AND route = $route AND idem_key = $key AND owner = $owner");
                Bind(write, operatorId, route, key);
                write.Parameters.AddWithValue("$status", response.StatusCode);
                write.Parameters.AddWithValue("$type", (object?)response.ContentType ?? DBNull.Value);
                write.Parameters.AddWithValue("$location", (object?)response.Location ?? DBNull.Value);
                write.Parameters.AddWithValue("$body", response.Body);
                write.Parameters.AddWithValue("$owner", Owner);
                return await write.ExecuteNonQueryAsync(cancellationToken);
            },
            cancellationToken);

    public Task AbandonAsync(string operatorId, string route, string key, CancellationToken cancellationToken) =>
        _writes.RunExclusiveAsync(
            async (connection, transaction) =>
            {
                await using var delete = Command(connection, transaction, "DELETE FROM idempotency_requests WHERE operator_id = $op AND route = $route AND idem_key = $key AND owner = $owner AND state = 'running'");
                Bind(delete, operatorId, route, key);
                delete.Parameters.AddWithValue("$owner", Owner);
                return await delete.ExecuteNonQueryAsync(cancellationToken);
            },
            cancellationToken);

    private async Task PurgeIfDueAsync(SqliteConnection connection, SqliteTransaction transaction, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var last = Interlocked.Read(ref _lastPurgeTicks);
        if (now.UtcTicks - last < TimeSpan.TicksPerHour)
        {
            return;
        }

        Interlocked.Exchange(ref _lastPurgeTicks, now.UtcTicks);
        await using var purge = Command(connection, transaction, "DELETE FROM idempotency_requests WHERE created_utc < $cutoff");
        purge.Parameters.AddWithValue("$cutoff", UnitOfWork.Timestamp(now - Retention));
        await purge.ExecuteNonQueryAsync(cancellationToken);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static void Bind(SqliteCommand command, string operatorId, string route, string key)
    {
        command.Parameters.AddWithValue("$op", operatorId);
        command.Parameters.AddWithValue("$route", route);
        command.Parameters.AddWithValue("$key", key);
    }
}

/// <summary>
/// Applies <see cref="IdempotencyMetadata"/>: runs after authorization (the key is scoped to the
/// operator), hashes method, path, query and body, and stores or replays the response.
/// </summary>
public sealed class IdempotencyMiddleware
{
    public const string HeaderName = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    private readonly RequestDelegate _next;

    public IdempotencyMiddleware(RequestDelegate next)
    {
        _next = next;
    }

    public async Task InvokeAsync(HttpContext context, IdempotencyStore store)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IdempotencyMetadata>() is null || context.User.Identity?.IsAuthenticated != true)
        {
            await _next(context);
            return;
        }

        var key = context.Request.Headers[HeaderName].ToString();
        if (key.Length is 0 or > 128 || key.Any(c => c < '!' || c > '~'))
        {
            await ApiProblems.Problem(
                StatusCodes.Status400BadRequest,
                ProblemTypes.IdempotencyKeyMissing,
                "Idempotency-Key required",
                $"this endpoint needs an '{HeaderName}' header of 1-128 printable ASCII characters without spaces (e.g. a UUID)").ExecuteAsync(context);
            return;
        }

        var cancellationToken = context.RequestAborted;
        context.Request.EnableBuffering();
        var hash = await HashRequestAsync(context.Request, cancellationToken);
        context.Request.Body.Position = 0;

        var operatorId = context.User.ToActor().OperatorId;
        var route = $"{context.Request.Method} {context.Request.Path.Value}";
        var (start, stored) = await store.BeginAsync(operatorId, route, key, hash, cancellationToken);
        switch (start)
        {
            case IdempotencyStart.Mismatch:
                await ApiProblems.Problem(
                    StatusCodes.Status422UnprocessableEntity,
                    ProblemTypes.IdempotencyKeyReused,
                    "Idempotency-Key used for a different request",
                    "this key was used on this route within 24 hours with a different request body; use a new key for a new request").ExecuteAsync(context);
                return;
            case IdempotencyStart.InFlight:
                context.Response.Headers.RetryAfter = "1";
                await ApiProblems.Problem(
                    StatusCodes.Status409Conflict,
                    ProblemTypes.IdempotencyInFlight,
                    "A request with this Idempotency-Key is still running",
                    "retry later with the same key to receive its response").ExecuteAsync(context);
                return;
            case IdempotencyStart.Replay:
                context.Response.StatusCode = stored!.StatusCode;
                context.Response.ContentType = stored.ContentType;
                if (stored.Location is not null)
                {
                    context.Response.Headers.Location = stored.Location;
                }

                context.Response.Headers[ReplayedHeader] = "true";
                await context.Response.Body.WriteAsync(stored.Body, cancellationToken);
                return;
        }

        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        var completed = false;
        try
        {
            await _next(context);
            completed = true;
        }
        finally
        {
            context.Response.Body = original;
            if (!completed || context.Response.StatusCode >= 500)
            {
                // Nothing committed (or the outcome is unknown to the client): let a retry with the same key run again.
                await store.AbandonAsync(operatorId, route, key, CancellationToken.None);
            }
        }

        var body = buffer.ToArray();
        if (context.Response.StatusCode < 500)
        {
            await store.CompleteAsync(operatorId, route, key, new StoredResponse(context.Response.StatusCode, context.Response.ContentType, context.Response.Headers.Location.ToString() is { Length: > 0 } l ? l : null, body), CancellationToken.None);
        }

        await original.WriteAsync(body, cancellationToken);
    }

    private static async Task<string> HashRequestAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method}\n{request.Path.Value}\n{request.QueryString.Value}\n"));
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            hash.AppendData(chunk, 0, read);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
