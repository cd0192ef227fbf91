using Gateway.Service.Domain.Cash;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Cash;

/// <summary>Reads the desk's money lines of a time window from parking payments and card charges (SQL only).</summary>
public static class CashStore
{
    /// <summary>
    /// Every line in [<paramref name="fromUtc"/>, <paramref name="toUtc"/>): payments recorded, payments
    /// reversed (at the reversal's time, by its operator), card fees, deposits and refunds; of one
    /// operator when <paramref name="operatorId"/> is given.
    /// </summary>
    public static async Task<IReadOnlyList<CashLine>> LinesAsync(SqliteConnection connection, DateTimeOffset fromUtc, DateTimeOffset toUtc, string? operatorId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT p.recorded_utc, p.recorded_by, CASE p.method WHEN 'cash' THEN 'cash-payment' ELSE 'bank-debit' END, p.amount_fen, p.receipt_number, p.method, a.agreement_number, a.holder_id, h.name
            FROM parking_payments p JOIN parking_agreements a ON a.id = p.agreement_id LEFT JOIN holders h ON h.id = a.holder_id
            WHERE p.carried_over = 0 AND p.recorded_utc >= $from AND p.recorded_utc < $to AND ($op IS NULL OR p.recorded_by = $op)
            UNION ALL
            SELECT p.reversed_utc, p.reversed_by, 'reversal', -p.amount_fen, p.receipt_number, p.method, a.agreement_number, a.holder_id, h.name
            FROM parking_payments p JOIN parking_agreements a ON a.id = p.agreement_id LEFT JOIN holders h ON h.id = a.holder_id
            WHERE p.carried_over = 0 AND p.reversed_utc >= $from AND p.reversed_utc < $to AND ($op IS NULL OR p.reversed_by = $op)
            UNION ALL
            SELECT c.recorded_utc, c.recorded_by, c.kind, CASE c.kind WHEN 'deposit-refund' THEN -c.amount_fen ELSE c.amount_fen END, c.receipt_number, 'cash', 'card ' || c.card_number, c.holder_id, h.name
            FROM card_charges c LEFT JOIN holders h ON h.id = c.holder_id
            WHERE c.recorded_utc >= $from AND c.recorded_utc < $to AND ($op IS NULL OR c.recorded_by = $op)
            """;
        command.Parameters.AddWithValue("$from", UnitOfWork.Timestamp(fromUtc));
        command.Parameters.AddWithValue("$to", UnitOfWork.Timestamp(toUtc));
        command.Parameters.AddWithValue("$op", (object?)operatorId ?? DBNull.Value);
        var lines = new List<CashLine>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            lines.Add(new CashLine(
                UnitOfWork.ParseTimestamp(reader.GetString(0)),
                reader.GetString(1),
                Domain.Wire.Parse<CashLineKind>(reader.GetString(2)),
                reader.GetInt64(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetInt64(7),
                reader.IsDBNull(8) ? null : reader.GetString(8)));
        }

        return lines;
    }

    /// <summary>Display names of the operators (the bootstrap admin has none stored).</summary>
    public static async Task<IReadOnlyDictionary<string, string>> OperatorNamesAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, display_name FROM operators";
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            names[reader.GetString(0)] = reader.GetString(1);
        }

        return names;
    }
}
