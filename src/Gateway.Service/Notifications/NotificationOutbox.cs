using System.Globalization;
using System.Text.Json;
using Gateway.Service.Site;
using Gateway.Service.Storage;

namespace Gateway.Service.Notifications;

/// <summary>One queued notification: its stable message id goes out unchanged with every attempt.</summary>
public sealed record Notification(
    long Id,
    string MessageId,
    string Kind,
    IReadOnlyList<string> Recipients,
    string Subject,
    string Body,
    string CreatedUtc,
    int Attempts,
    string NextAttemptUtc,
    string? LastError,
    string? DeliveredUtc);

/// <summary>
/// The notification outbox (table <c>notification_outbox</c>): notices are written in the same
/// transaction as the change they report, and delivered afterwards by <see cref="NotificationDispatcher"/>.
/// A notice is never dropped: it stays until a delivery succeeds.
/// </summary>
public sealed class NotificationOutbox
{
    private readonly GatewayDatabase _database;
    private readonly NotificationOptions _options;
    private readonly string _siteId;

    public NotificationOutbox(GatewayDatabase database, NotificationOptions options, SiteOptions site)
    {
        _database = database;
        _options = options;
        _siteId = site.SiteId;
    }

    /// <summary>Queues a notice inside <paramref name="unit"/>; returns its message id.</summary>
    public async Task<string> EnqueueAsync(UnitOfWork unit, string kind, string subject, string body, CancellationToken cancellationToken)
    {
        // RFC 5322 §3.6.4 msg-id: unique, fixed once here, reused by every retry so receivers can drop duplicates.
        var messageId = $"<{Guid.NewGuid():N}@{_siteId}.gateway>";
        await using var insert = unit.Command("""
            INSERT INTO notification_outbox(message_id, kind, recipients, subject, body, created_utc, next_attempt_utc)
            VALUES ($mid, $kind, $to, $subject, $body, $now, $now)
            """);
        insert.Parameters.AddWithValue("$mid", messageId);
        insert.Parameters.AddWithValue("$kind", kind);
        insert.Parameters.AddWithValue("$to", JsonSerializer.Serialize(_options.Recipients));
        insert.Parameters.AddWithValue("$subject", subject);
        insert.Parameters.AddWithValue("$body", body);
        insert.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return messageId;
    }

    /// <summary>Notices not yet delivered whose next attempt is due at <paramref name="nowUtc"/>, oldest first.</summary>
    public async Task<IReadOnlyList<Notification>> DueAsync(DateTimeOffset nowUtc, int limit, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = Select + " WHERE delivered_utc IS NULL AND next_attempt_utc <= $now ORDER BY id LIMIT $limit";
        command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(nowUtc));
        command.Parameters.AddWithValue("$limit", limit);
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>Every notice, newest first (for the admin view and tests).</summary>
    public async Task<IReadOnlyList<Notification>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = Select + " ORDER BY id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        return await ReadAsync(command, cancellationToken);
    }

    private const string Select = "SELECT id, message_id, kind, recipients, subject, body, created_utc, attempts, next_attempt_utc, last_error, delivered_utc FROM notification_outbox";

    private static async Task<IReadOnlyList<Notification>> ReadAsync(Microsoft.Data.Sqlite.SqliteCommand command, CancellationToken cancellationToken)
    {
        var list = new List<Notification>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new Notification(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                JsonSerializer.Deserialize<string[]>(reader.GetString(3)) ?? [],
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6),
                (int)reader.GetInt64(7),
                reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetString(10)));
        }

        return list;
    }

    /// <summary>
    /// Rewrites delivery errors stored by earlier versions, which named the webhook URL whole, to the
    /// redacted form (<see cref="SecretUrl"/>), so the key in its query string leaves the outbox, the admin's
    /// view and future backups. Returns how many rows changed (none on later starts).
    /// </summary>
    public async Task<int> ScrubWebhookUrlAsync(Uri url, UnitOfWorkFactory units, CancellationToken cancellationToken)
    {
        var secrets = new[] { url.ToString(), url.AbsoluteUri, url.OriginalString }.Distinct(StringComparer.Ordinal).Where(u => u != SecretUrl.Redact(url)).ToList();
        if (secrets.Count == 0)
        {
            return 0;
        }

        return await units.RunExclusiveAsync(
            async (connection, transaction) =>
            {
                var changed = 0;
                foreach (var secret in secrets)
                {
                    await using var update = connection.CreateCommand();
                    update.Transaction = transaction;
                    update.CommandText = "UPDATE notification_outbox SET last_error = replace(last_error, $secret, $shown) WHERE instr(last_error, $secret) > 0";
                    update.Parameters.AddWithValue("$secret", secret);
                    update.Parameters.AddWithValue("$shown", SecretUrl.Redact(url));
                    changed += await update.ExecuteNonQueryAsync(cancellationToken);
                }

                return changed;
            },
            cancellationToken);
    }

    /// <summary>The delay before attempt n+1 after n failures: min × 2^(n-1), capped at max.</summary>
    public static TimeSpan BackOff(int failures, TimeSpan min, TimeSpan max)
    {
        var exponent = Math.Clamp(failures - 1, 0, 30);
        var ticks = Math.Min((double)min.Ticks * Math.Pow(2, exponent), max.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    internal static string Format(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);
}
