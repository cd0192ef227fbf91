using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Service.Storage;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

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
/// The <c>idempotency_requests</c> table, and the keys whose first request is still running. A running
/// key is marked in memory only (this process owns the database): marking it writes nothing, so a
/// request costs one durable write, not three. The response is stored "done" when the request ends:
/// in the change's own unit of work where the endpoint offers it (<see cref="IdempotentRequest.StoreWithChangeAsync"/>:
/// the change and its stored response commit together), otherwise in a write of its own. A 5xx or an
/// exception stores nothing and releases the key, so the client may retry with the same key. A
/// "running" row left in the table by an earlier version is ignored. Records older than
/// <see cref="Retention"/> are ignored and purged.
/// </summary>
public sealed class IdempotencyStore
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _writes;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string OperatorId, string Route, string Key), string> _running = new();
    private long _lastPurgeTicks;

    public IdempotencyStore(GatewayDatabase database, UnitOfWorkFactory writes, TimeProvider time)
    {
        _database = database;
        _writes = writes;
        _time = time;
    }

    /// <summary>Written with each stored response: which process stored it.</summary>
    public string Owner { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Keys marked running now (their first request has not ended).</summary>
    public int RunningCount => _running.Count;

    /// <summary>
    /// Marks the key running (<see cref="IdempotencyStart.Started"/>: the caller must end it with
    /// <see cref="CompleteAsync"/>, <see cref="IdempotentRequest.StoreWithChangeAsync"/> then
    /// <see cref="Release"/>, or <see cref="Release"/> alone), or tells why the request must not run.
    /// </summary>
    public async Task<(IdempotencyStart Start, StoredResponse? Response)> BeginAsync(string operatorId, string route, string key, string requestHash, CancellationToken cancellationToken)
    {
        var id = (operatorId, route, key);
        if (!_running.TryAdd(id, requestHash))
        {
            return _running.TryGetValue(id, out var runningHash) && runningHash != requestHash
                ? (IdempotencyStart.Mismatch, null)
                : (IdempotencyStart.InFlight, null);
        }

        try
        {
            // Read after marking: a request that completed before the mark is seen here, one that starts after it sees the mark.
            await using var connection = _database.OpenConnection();
            await using var read = Command(connection, null, "SELECT request_hash, status_code, content_type, location, response_body, created_utc FROM idempotency_requests WHERE operator_id = $op AND route = $route AND idem_key = $key AND state = 'done'");
            Bind(read, operatorId, route, key);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken) && _time.GetUtcNow() - UnitOfWork.ParseTimestamp(reader.GetString(5)) < Retention)
            {
                var result = reader.GetString(0) != requestHash
                    ? (IdempotencyStart.Mismatch, (StoredResponse?)null)
                    : (IdempotencyStart.Replay, new StoredResponse(
                        reader.GetInt32(1),
                        reader.IsDBNull(2) ? null : reader.GetString(2),
                        reader.IsDBNull(3) ? null : reader.GetString(3),
                        reader.IsDBNull(4) ? [] : (byte[])reader.GetValue(4)));
                Release(operatorId, route, key);
                return result;
            }

            return (IdempotencyStart.Started, null);
        }
        catch
        {
            Release(operatorId, route, key);
            throw;
        }
    }

    /// <summary>Stores the response of a running key in a durable write of its own, then releases the key.</summary>
    public async Task CompleteAsync(string operatorId, string route, string key, string requestHash, StoredResponse response, CancellationToken cancellationToken)
    {
        try
        {
            await _writes.RunExclusiveAsync(
                async (connection, transaction) =>
                {
                    await StoreAsync(connection, transaction, operatorId, route, key, requestHash, response, cancellationToken);
                    return 0;
                },
                cancellationToken);
        }
        finally
        {
            Release(operatorId, route, key);
        }
    }

    /// <summary>Ends a running key without storing anything: a retry with the same key runs again.</summary>
    public void Release(string operatorId, string route, string key) => _running.TryRemove((operatorId, route, key), out _);

    /// <summary>Writes a "done" record inside the caller's transaction (and purges expired records once an hour).</summary>
    internal async Task StoreAsync(SqliteConnection connection, SqliteTransaction transaction, string operatorId, string route, string key, string requestHash, StoredResponse response, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await PurgeIfDueAsync(connection, transaction, now, cancellationToken);
        await using var write = Command(connection, transaction, """
            INSERT INTO idempotency_requests(operator_id, route, idem_key, request_hash, state, owner, status_code, content_type, location, response_body, created_utc)
            VALUES ($op, $route, $key, $hash, 'done', $owner, $status, $type, $location, $body, $now)
            ON CONFLICT(operator_id, route, idem_key) DO UPDATE SET
                request_hash = excluded.request_hash, state = 'done', owner = excluded.owner, status_code = excluded.status_code,
                content_type = excluded.content_type, location = excluded.location, response_body = excluded.response_body, created_utc = excluded.created_utc
            """);
        Bind(write, operatorId, route, key);
        write.Parameters.AddWithValue("$hash", requestHash);
        write.Parameters.AddWithValue("$owner", Owner);
        write.Parameters.AddWithValue("$status", response.StatusCode);
        write.Parameters.AddWithValue("$type", (object?)response.ContentType ?? DBNull.Value);
        write.Parameters.AddWithValue("$location", (object?)response.Location ?? DBNull.Value);
        write.Parameters.AddWithValue("$body", response.Body);
        write.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(now));
        await write.ExecuteNonQueryAsync(cancellationToken);
    }

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

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
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
/// The running request of an <c>Idempotency-Key</c>, offered to the endpoint as an HTTP feature
/// (<c>context.Features.Get&lt;IdempotentRequest&gt;()</c>). An endpoint whose change commits in one unit
/// of work stores its response there, just before commit, with <see cref="StoreWithChangeAsync"/>: the
/// change and the stored response are durable together (one commit instead of two, and a crash can
/// no longer keep the change but lose the response a retry should replay).
/// </summary>
public sealed class IdempotentRequest
{
    private readonly IdempotencyStore _store;

    internal IdempotentRequest(IdempotencyStore store, string operatorId, string route, string key, string requestHash)
    {
        _store = store;
        OperatorId = operatorId;
        Route = route;
        Key = key;
        RequestHash = requestHash;
    }

    public string OperatorId { get; }

    public string Route { get; }

    public string Key { get; }

    public string RequestHash { get; }

    /// <summary>The response stored in the change's unit of work, if the endpoint stored one.</summary>
    public StoredResponse? StoredWithChange { get; private set; }

    /// <summary>
    /// Serializes <paramref name="value"/> as the API's JSON, stores it as this key's response inside
    /// <paramref name="unit"/> (call just before its commit), and returns the result that sends exactly
    /// those bytes. If the unit does not commit, the record goes with it.
    /// </summary>
    public async Task<IResult> StoreWithChangeAsync(HttpContext context, UnitOfWork unit, int statusCode, object value, string? location, CancellationToken cancellationToken)
    {
        var json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var response = new StoredResponse(statusCode, "application/json; charset=utf-8", location, JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), json));
        await _store.StoreAsync(unit.Connection, unit.Transaction, OperatorId, Route, Key, RequestHash, response, cancellationToken);
        StoredWithChange = response;
        return new StoredResult(response);
    }

    private sealed class StoredResult(StoredResponse response) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = response.StatusCode;
            httpContext.Response.ContentType = response.ContentType;
            if (response.Location is not null)
            {
                httpContext.Response.Headers.Location = response.Location;
            }

            await httpContext.Response.Body.WriteAsync(response.Body, httpContext.RequestAborted);
        }
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

        var request = new IdempotentRequest(store, operatorId, route, key, hash);
        context.Features.Set(request);
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
                store.Release(operatorId, route, key);
            }
        }

        var body = buffer.ToArray();
        if (context.Response.StatusCode < 500)
        {
            if (request.StoredWithChange is not null)
            {
                // Stored in the change's own transaction, which has committed: nothing more to write.
                store.Release(operatorId, route, key);
            }
            else
            {
                await store.CompleteAsync(operatorId, route, key, hash, new StoredResponse(context.Response.StatusCode, context.Response.ContentType, context.Response.Headers.Location.ToString() is { Length: > 0 } l ? l : null, body), CancellationToken.None);
            }
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

/// <summary>
/// The response of an <c>Idempotency-Key</c> request as an <see cref="IChangeReceipt{T}"/>: a workflow
/// writes it inside the change's unit of work, so the change and the response a retry replays are
/// durable together. <see cref="For"/> gives null when the request carries no key.
/// </summary>
/// <typeparam name="T">The change's result, sent as the response body.</typeparam>
public sealed class IdempotentReceipt<T> : IChangeReceipt<T>
    where T : notnull
{
    private readonly IdempotentRequest _request;
    private readonly HttpContext _context;
    private readonly int _statusCode;
    private readonly Func<T, string?> _location;

    private IdempotentReceipt(IdempotentRequest request, HttpContext context, int statusCode, Func<T, string?> location)
    {
        _request = request;
        _context = context;
        _statusCode = statusCode;
        _location = location;
    }

    /// <summary>The result that sends the stored bytes, once the receipt was written (null before).</summary>
    public IResult? Result { get; private set; }

    /// <summary>A receipt for this request's key answering <paramref name="statusCode"/> (with a Location from <paramref name="location"/>), or null without a key.</summary>
    public static IdempotentReceipt<T>? For(HttpContext context, int statusCode, Func<T, string?>? location = null) =>
        context.Features.Get<IdempotentRequest>() is { } request ? new IdempotentReceipt<T>(request, context, statusCode, location ?? (_ => null)) : null;

    public async Task WriteAsync(UnitOfWork unit, T result, CancellationToken cancellationToken) =>
        Result = await _request.StoreWithChangeAsync(_context, unit, _statusCode, result, _location(result), cancellationToken);
}
