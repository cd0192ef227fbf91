using System.Data.Common;
using System.Globalization;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Parking;

/// <summary>What a grant needs to know of a payment and its agreement, read in the grant's unit of work.</summary>
/// <param name="Payment">The payment, with its period if it has one.</param>
/// <param name="MonthlyFeeFen">The agreement's monthly fee.</param>
/// <param name="Cycle">The agreement's billing cycle (wire name).</param>
/// <param name="CardNumber">The agreement's card.</param>
/// <param name="AgreementEnded">True once the agreement ended.</param>
public sealed record GrantFacts(PaymentView Payment, long MonthlyFeeFen, string Cycle, long CardNumber, bool AgreementEnded);

/// <summary>An agreement as a bank result line names it.</summary>
public sealed record DebitAgreement(long Id, string PaymentMethod, bool Ended);

/// <summary>The card an agreement would be made for, as stored.</summary>
public sealed record AgreementCard(string State, long? HolderId, string? Kind);

/// <summary>An active bank-debit agreement that may owe a debit: its number, fee, cycle, paid end, plate and the account debited (null when not stored).</summary>
public sealed record DebitCandidate(string AgreementNumber, long MonthlyFeeFen, string Cycle, DateOnly? PaidUntil, string Plate, string? AccountName, string? AccountNumber);

/// <summary>What a new agreement would take that is taken: its number (by any agreement), its card or its space (by an active agreement).</summary>
public sealed record AgreementTaken(bool Number, bool Card, bool Space);

/// <summary>An active agreement moved from one card to another.</summary>
public sealed record MovedAgreement(long Id, string AgreementNumber);

/// <summary>An active agreement whose paid period has lapsed (or that was never paid), with its holder's contact and last payment.</summary>
public sealed record OverdueRow(AgreementView Agreement, string? Phone, long? LastPaymentFen, DateTimeOffset? LastPaymentUtc);

/// <summary>
/// The parking tables (<c>parking_agreements</c>, <c>parking_payments</c>, <c>parking_periods</c>,
/// <c>parking_bank_lines</c>) in SQL, and nothing else: reads on a connection, writes in the caller's
/// <see cref="UnitOfWork"/>. The rules are <see cref="ParkingWorkflow"/>'s.
/// </summary>
public static class ParkingStore
{
    private const string AgreementColumns = "a.id, a.agreement_number, a.holder_id, a.card_number, a.plate, a.space, a.monthly_fee_fen, a.billing_cycle, a.payment_method, a.signed_copy_ref, a.created_utc, a.created_by, a.ended_utc, a.end_reason, a.paid_until_date, a.paid_until_utc, h.name, a.bank_account_name, a.bank_account_number";
    private const string Agreements = "parking_agreements a LEFT JOIN holders h ON h.id = a.holder_id";
    private const string PaymentColumns = "p.id, p.agreement_id, p.amount_fen, p.method, p.receipt_number, p.state, p.recorded_utc, p.recorded_by, p.granted_utc, p.granted_by, p.reversed_utc, p.reversed_by, p.reversal_reason, r.start_date, r.end_date, r.start_utc, r.end_utc, r.months, r.days, r.chain_start, a.agreement_number, a.holder_id, h.name";
    private const string Payments = "parking_payments p JOIN parking_agreements a ON a.id = p.agreement_id LEFT JOIN holders h ON h.id = a.holder_id LEFT JOIN parking_periods r ON r.payment_id = p.id";

    // ---- agreements ----

    public static async Task<bool> HolderExistsAsync(UnitOfWork unit, long holderId, CancellationToken cancellationToken)
    {
        await using var command = unit.Command("SELECT 1 FROM holders WHERE id = $id");
        command.Parameters.AddWithValue("$id", holderId);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public static async Task<AgreementCard?> CardAsync(UnitOfWork unit, long cardNumber, CancellationToken cancellationToken)
    {
        await using var card = unit.Command("SELECT state, holder_id, kind FROM cards WHERE number = $number");
        card.Parameters.AddWithValue("$number", cardNumber);
        await using var reader = await card.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new AgreementCard(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2))
            : null;
    }

    /// <summary>Whether a new agreement's number is used by any agreement, and its card and space by an active one (which to report is the workflow's).</summary>
    public static async Task<AgreementTaken> TakenAsync(UnitOfWork unit, NewAgreement agreement, CancellationToken cancellationToken)
    {
        await using var check = unit.Command("""
            SELECT EXISTS (SELECT 1 FROM parking_agreements WHERE agreement_number = $number),
                   EXISTS (SELECT 1 FROM parking_agreements WHERE card_number = $card AND ended_utc IS NULL),
                   EXISTS (SELECT 1 FROM parking_agreements WHERE space = $space AND ended_utc IS NULL)
            """);
        check.Parameters.AddWithValue("$number", agreement.AgreementNumber);
        check.Parameters.AddWithValue("$card", agreement.CardNumber);
        check.Parameters.AddWithValue("$space", agreement.Space);
        await using var reader = await check.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new AgreementTaken(reader.GetBoolean(0), reader.GetBoolean(1), reader.GetBoolean(2));
    }

    public static async Task<long> InsertAgreementAsync(UnitOfWork unit, NewAgreement agreement, CancellationToken cancellationToken)
    {
        await using var insert = unit.Command("""
            INSERT INTO parking_agreements(agreement_number, holder_id, card_number, plate, space, monthly_fee_fen, billing_cycle, payment_method, signed_copy_ref, created_utc, created_by, bank_account_name, bank_account_number)
            VALUES ($number, $holder, $card, $plate, $space, $fee, $cycle, $method, $copy, $at, $by, $bankName, $bankNumber) RETURNING id
            """);
        insert.Parameters.AddWithValue("$number", agreement.AgreementNumber);
        insert.Parameters.AddWithValue("$holder", agreement.HolderId);
        insert.Parameters.AddWithValue("$card", agreement.CardNumber);
        insert.Parameters.AddWithValue("$plate", agreement.Plate);
        insert.Parameters.AddWithValue("$space", agreement.Space);
        insert.Parameters.AddWithValue("$fee", agreement.MonthlyFeeFen);
        insert.Parameters.AddWithValue("$cycle", agreement.Cycle.ToWire());
        insert.Parameters.AddWithValue("$method", agreement.Method.ToWire());
        insert.Parameters.AddWithValue("$copy", agreement.SignedCopyRef);
        insert.Parameters.AddWithValue("$bankName", (object?)agreement.BankAccount?.Name ?? DBNull.Value);
        insert.Parameters.AddWithValue("$bankNumber", (object?)agreement.BankAccount?.Number ?? DBNull.Value);
        insert.Parameters.AddWithValue("$at", UnitOfWork.Timestamp(unit.NowUtc));
        insert.Parameters.AddWithValue("$by", unit.Actor.OperatorId);
        return Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public static async Task EndAgreementAsync(UnitOfWork unit, long agreementId, string reason, CancellationToken cancellationToken)
    {
        await using var update = unit.Command("UPDATE parking_agreements SET ended_utc = $at, ended_by = $by, end_reason = $reason WHERE id = $id");
        update.Parameters.AddWithValue("$at", UnitOfWork.Timestamp(unit.NowUtc));
        update.Parameters.AddWithValue("$by", unit.Actor.OperatorId);
        update.Parameters.AddWithValue("$reason", reason);
        update.Parameters.AddWithValue("$id", agreementId);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>An agreement, without periods or validity.</summary>
    public static async Task<AgreementView?> AgreementAsync(SqliteConnection connection, SqliteTransaction? transaction, long id, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT {AgreementColumns} FROM {Agreements} WHERE a.id = $id");
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ToAgreement(reader) : null;
    }

    /// <summary>An agreement's periods in chain order.</summary>
    public static async Task<IReadOnlyList<PeriodView>> PeriodsAsync(SqliteConnection connection, SqliteTransaction? transaction, long agreementId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, "SELECT payment_id, start_date, end_date, start_utc, end_utc, months, days, chain_start FROM parking_periods WHERE agreement_id = $id ORDER BY seq");
        command.Parameters.AddWithValue("$id", agreementId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var periods = new List<PeriodView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            periods.Add(new PeriodView(reader.GetInt64(0), ParseDate(reader.GetString(1)), ParseDate(reader.GetString(2)), UnitOfWork.ParseTimestamp(reader.GetString(3)), UnitOfWork.ParseTimestamp(reader.GetString(4)), reader.GetInt32(5), reader.GetInt32(6), ParseDate(reader.GetString(7))));
        }

        return periods;
    }

    public static async Task<IReadOnlyList<AgreementView>> ListAgreementsAsync(SqliteConnection connection, AgreementFilter filter, int limit, long after, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        var where = new List<string> { "a.id > $after" };
        command.Parameters.AddWithValue("$after", after);
        void Filter(string column, string name, object? value)
        {
            if (value is not null)
            {
                where.Add($"a.{column} = ${name}");
                command.Parameters.AddWithValue("$" + name, value);
            }
        }

        Filter("plate", "plate", filter.Plate);
        Filter("holder_id", "holder", filter.HolderId);
        Filter("card_number", "card", filter.CardNumber);
        Filter("agreement_number", "number", filter.AgreementNumber);
        Filter("space", "space", filter.Space);
        if (filter.Text is { Length: > 0 } text)
        {
            where.Add("""
                (instr(upper(replace(a.plate, ' ', '')), upper(replace($text, ' ', ''))) > 0
                 OR instr(lower(a.space), lower($text)) > 0
                 OR instr(lower(coalesce(h.name, '')), lower($text)) > 0
                 OR CAST(a.card_number AS TEXT) = $text
                 OR a.agreement_number = $text)
                """);
            command.Parameters.AddWithValue("$text", text);
        }

        if (filter.State == "active")
        {
            where.Add("a.ended_utc IS NULL");
        }
        else if (filter.State == "ended")
        {
            where.Add("a.ended_utc IS NOT NULL");
        }

        command.CommandText = $"SELECT {AgreementColumns} FROM {Agreements} WHERE {string.Join(" AND ", where)} ORDER BY a.id LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        return await ReadAgreementsAsync(command, cancellationToken);
    }

    /// <summary>Active agreements whose paid end lies in (<paramref name="fromUtc"/>, <paramref name="untilUtc"/>].</summary>
    public static async Task<IReadOnlyList<AgreementView>> PaidUntilBetweenAsync(SqliteConnection connection, DateTimeOffset fromUtc, DateTimeOffset untilUtc, int limit, long after, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, $"""
            SELECT {AgreementColumns} FROM {Agreements}
            WHERE a.ended_utc IS NULL AND a.paid_until_utc > $now AND a.paid_until_utc <= $until AND a.id > $after
            ORDER BY a.id LIMIT $limit
            """);
        command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(fromUtc));
        command.Parameters.AddWithValue("$until", UnitOfWork.Timestamp(untilUtc));
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$limit", limit);
        return await ReadAgreementsAsync(command, cancellationToken);
    }

    /// <summary>Active bank-debit agreements with no paid end or one before <paramref name="before"/>, by agreement number.</summary>
    public static async Task<IReadOnlyList<DebitCandidate>> DebitCandidatesAsync(SqliteConnection connection, DateOnly before, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, """
            SELECT agreement_number, monthly_fee_fen, billing_cycle, paid_until_date, plate, bank_account_name, bank_account_number FROM parking_agreements
            WHERE ended_utc IS NULL AND payment_method = 'bank-debit' AND (paid_until_date IS NULL OR paid_until_date < $next)
            ORDER BY agreement_number
            """);
        command.Parameters.AddWithValue("$next", DateText(before));
        var list = new List<DebitCandidate>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new DebitCandidate(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.IsDBNull(3) ? null : ParseDate(reader.GetString(3)), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return list;
    }

    public static async Task<long> CardOfAgreementAsync(UnitOfWork unit, long agreementId, CancellationToken cancellationToken)
    {
        await using var card = unit.Command("SELECT card_number FROM parking_agreements WHERE id = $id");
        card.Parameters.AddWithValue("$id", agreementId);
        return Convert.ToInt64(await card.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>Moves the active agreements of card <paramref name="from"/> to card <paramref name="to"/>; their periods stay (they belong to the agreement).</summary>
    public static async Task<IReadOnlyList<MovedAgreement>> MoveActiveAgreementsAsync(UnitOfWork unit, long from, long to, CancellationToken cancellationToken)
    {
        await using var update = unit.Command("UPDATE parking_agreements SET card_number = $to WHERE card_number = $from AND ended_utc IS NULL RETURNING id, agreement_number");
        update.Parameters.AddWithValue("$from", from);
        update.Parameters.AddWithValue("$to", to);
        var moved = new List<MovedAgreement>();
        await using var reader = await update.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            moved.Add(new MovedAgreement(reader.GetInt64(0), reader.GetString(1)));
        }

        return moved;
    }

    /// <summary>Whether another active agreement than <paramref name="agreementId"/> holds card <paramref name="cardNumber"/> (or space <paramref name="space"/>).</summary>
    public static async Task<bool> TakenByAnotherAsync(UnitOfWork unit, long agreementId, long? cardNumber, string? space, CancellationToken cancellationToken)
    {
        await using var check = unit.Command("""
            SELECT 1 FROM parking_agreements
            WHERE id <> $id AND ended_utc IS NULL AND (card_number = $card OR space = $space)
            """);
        check.Parameters.AddWithValue("$id", agreementId);
        check.Parameters.AddWithValue("$card", (object?)cardNumber ?? DBNull.Value);
        check.Parameters.AddWithValue("$space", (object?)space ?? DBNull.Value);
        return await check.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>Writes an agreement's card, plate, space and bank account as given.</summary>
    public static async Task UpdateAgreementAsync(UnitOfWork unit, long agreementId, long cardNumber, string plate, string space, BankAccount? account, CancellationToken cancellationToken)
    {
        await using var update = unit.Command("""
            UPDATE parking_agreements SET card_number = $card, plate = $plate, space = $space, bank_account_name = $bankName, bank_account_number = $bankNumber
            WHERE id = $id
            """);
        update.Parameters.AddWithValue("$id", agreementId);
        update.Parameters.AddWithValue("$card", cardNumber);
        update.Parameters.AddWithValue("$plate", plate);
        update.Parameters.AddWithValue("$space", space);
        update.Parameters.AddWithValue("$bankName", (object?)account?.Name ?? DBNull.Value);
        update.Parameters.AddWithValue("$bankNumber", (object?)account?.Number ?? DBNull.Value);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The stored bank account of an agreement (unmasked: for the workflow's comparison and the debit export only).</summary>
    public static async Task<BankAccount?> BankAccountAsync(UnitOfWork unit, long agreementId, CancellationToken cancellationToken)
    {
        await using var read = unit.Command("SELECT bank_account_name, bank_account_number FROM parking_agreements WHERE id = $id AND bank_account_number IS NOT NULL");
        read.Parameters.AddWithValue("$id", agreementId);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new BankAccount(reader.GetString(0), reader.GetString(1)) : null;
    }

    /// <summary>
    /// Active agreements whose paid end is at or before <paramref name="nowUtc"/>, or that have none,
    /// by id, with the holder's phone and the agreement's last payment that was not reversed.
    /// </summary>
    public static async Task<IReadOnlyList<OverdueRow>> OverdueAsync(SqliteConnection connection, DateTimeOffset nowUtc, int limit, long after, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, null, $"""
            SELECT {AgreementColumns}, h.phone, last.amount_fen, last.recorded_utc
            FROM {Agreements}
            LEFT JOIN parking_payments last ON last.id = (
                SELECT id FROM parking_payments WHERE agreement_id = a.id AND state <> 'reversed' ORDER BY recorded_utc DESC, id DESC LIMIT 1)
            WHERE a.ended_utc IS NULL AND (a.paid_until_utc IS NULL OR a.paid_until_utc <= $now) AND a.id > $after
            ORDER BY a.id LIMIT $limit
            """);
        command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(nowUtc));
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$limit", limit);
        var rows = new List<OverdueRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new OverdueRow(
                ToAgreement(reader),
                reader.IsDBNull(19) ? null : reader.GetString(19),
                reader.IsDBNull(20) ? null : reader.GetInt64(20),
                reader.IsDBNull(21) ? null : UnitOfWork.ParseTimestamp(reader.GetString(21))));
        }

        return rows;
    }

    // ---- payments ----

    public static async Task<bool> ReceiptExistsAsync(UnitOfWork unit, string receipt, CancellationToken cancellationToken)
    {
        await using var check = unit.Command("SELECT 1 FROM parking_payments WHERE receipt_number = $receipt");
        check.Parameters.AddWithValue("$receipt", receipt);
        return await check.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public static async Task<long> InsertPaymentAsync(UnitOfWork unit, NewPayment payment, CancellationToken cancellationToken)
    {
        await using var insert = unit.Command("""
            INSERT INTO parking_payments(agreement_id, amount_fen, method, receipt_number, state, recorded_utc, recorded_by)
            VALUES ($agreement, $amount, $method, $receipt, 'recorded', $at, $by) RETURNING id
            """);
        insert.Parameters.AddWithValue("$agreement", payment.AgreementId);
        insert.Parameters.AddWithValue("$amount", payment.AmountFen);
        insert.Parameters.AddWithValue("$method", payment.Method.ToWire());
        insert.Parameters.AddWithValue("$receipt", payment.ReceiptNumber);
        insert.Parameters.AddWithValue("$at", UnitOfWork.Timestamp(unit.NowUtc));
        insert.Parameters.AddWithValue("$by", unit.Actor.OperatorId);
        return Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>A payment with the period it bought, if any.</summary>
    public static async Task<PaymentView?> PaymentAsync(SqliteConnection connection, SqliteTransaction? transaction, long id, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, $"SELECT {PaymentColumns} FROM {Payments} WHERE p.id = $id");
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ToPayment(reader) : null;
    }

    public static async Task<IReadOnlyList<PaymentView>> ListPaymentsAsync(SqliteConnection connection, long? agreementId, string? state, int limit, long after, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        var where = new List<string> { "p.id > $after" };
        command.Parameters.AddWithValue("$after", after);
        if (agreementId is not null)
        {
            where.Add("p.agreement_id = $agreement");
            command.Parameters.AddWithValue("$agreement", agreementId);
        }

        if (state is not null)
        {
            where.Add("p.state = $state");
            command.Parameters.AddWithValue("$state", state);
        }

        command.CommandText = $"SELECT {PaymentColumns} FROM {Payments} WHERE {string.Join(" AND ", where)} ORDER BY p.id LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        var list = new List<PaymentView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ToPayment(reader));
        }

        return list;
    }

    /// <summary>A payment and what its grant needs of the agreement, in one read.</summary>
    public static async Task<GrantFacts?> GrantFactsAsync(UnitOfWork unit, long paymentId, CancellationToken cancellationToken)
    {
        await using var read = unit.Command($"""
            SELECT {PaymentColumns}, a.monthly_fee_fen, a.billing_cycle, a.card_number, a.ended_utc IS NOT NULL
            FROM {Payments} WHERE p.id = $id
            """);
        read.Parameters.AddWithValue("$id", paymentId);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new GrantFacts(ToPayment(reader), reader.GetInt64(23), reader.GetString(24), reader.GetInt64(25), reader.GetBoolean(26))
            : null;
    }

    /// <summary>An agreement's period chain as the rules read it.</summary>
    public static async Task<List<PeriodEntry>> ChainAsync(UnitOfWork unit, long agreementId, CancellationToken cancellationToken)
    {
        await using var read = unit.Command("SELECT payment_id, chain_start, months, days FROM parking_periods WHERE agreement_id = $id ORDER BY seq");
        read.Parameters.AddWithValue("$id", agreementId);
        var entries = new List<PeriodEntry>();
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new PeriodEntry(reader.GetInt64(0), ParseDate(reader.GetString(1)), reader.GetInt32(2), reader.GetInt32(3)));
        }

        return entries;
    }

    /// <summary>Adds <paramref name="period"/> at the end of the agreement's chain, marks the payment granted and sets the agreement's paid end to the period's.</summary>
    public static async Task InsertGrantAsync(UnitOfWork unit, long agreementId, PeriodView period, CancellationToken cancellationToken)
    {
        await using (var insert = unit.Command("""
            INSERT INTO parking_periods(payment_id, agreement_id, seq, chain_start, months, days, start_date, end_date, start_utc, end_utc)
            VALUES ($payment, $agreement, (SELECT COALESCE(MAX(seq), 0) + 1 FROM parking_periods WHERE agreement_id = $agreement), $chain, $months, $days, $start, $end, $startUtc, $endUtc)
            """))
        {
            insert.Parameters.AddWithValue("$payment", period.PaymentId);
            insert.Parameters.AddWithValue("$agreement", agreementId);
            BindPeriod(insert, period);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        // One command, two statements: the payment is granted and the agreement's paid end follows its last period.
        await using var update = unit.Command("""
            UPDATE parking_payments SET state = 'granted', granted_utc = $at, granted_by = $by WHERE id = $id;
            UPDATE parking_agreements SET paid_until_date = $date, paid_until_utc = $utc WHERE id = $agreement;
            """);
        update.Parameters.AddWithValue("$at", UnitOfWork.Timestamp(unit.NowUtc));
        update.Parameters.AddWithValue("$by", unit.Actor.OperatorId);
        update.Parameters.AddWithValue("$id", period.PaymentId);
        update.Parameters.AddWithValue("$date", DateText(period.End));
        update.Parameters.AddWithValue("$utc", UnitOfWork.Timestamp(period.EndUtc));
        update.Parameters.AddWithValue("$agreement", agreementId);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task DeletePeriodAsync(UnitOfWork unit, long paymentId, CancellationToken cancellationToken)
    {
        await using var delete = unit.Command("DELETE FROM parking_periods WHERE payment_id = $id");
        delete.Parameters.AddWithValue("$id", paymentId);
        await delete.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Rewrites the dates of the period bought by <see cref="PeriodView.PaymentId"/> (a reversal moved it).</summary>
    public static async Task MovePeriodAsync(UnitOfWork unit, PeriodView period, CancellationToken cancellationToken)
    {
        await using var update = unit.Command("""
            UPDATE parking_periods SET chain_start = $chain, months = $months, days = $days, start_date = $start, end_date = $end, start_utc = $startUtc, end_utc = $endUtc
            WHERE payment_id = $payment
            """);
        update.Parameters.AddWithValue("$payment", period.PaymentId);
        BindPeriod(update, period);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Sets the agreement's paid end to <paramref name="last"/>'s end (null: none).</summary>
    public static async Task SetPaidUntilAsync(UnitOfWork unit, long agreementId, PeriodView? last, CancellationToken cancellationToken)
    {
        await using var update = unit.Command("UPDATE parking_agreements SET paid_until_date = $date, paid_until_utc = $utc WHERE id = $id");
        update.Parameters.AddWithValue("$date", last is null ? DBNull.Value : DateText(last.End));
        update.Parameters.AddWithValue("$utc", last is null ? DBNull.Value : UnitOfWork.Timestamp(last.EndUtc));
        update.Parameters.AddWithValue("$id", agreementId);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task MarkReversedAsync(UnitOfWork unit, long paymentId, string reason, CancellationToken cancellationToken)
    {
        await using var update = unit.Command("UPDATE parking_payments SET state = 'reversed', reversed_utc = $at, reversed_by = $by, reversal_reason = $reason WHERE id = $id");
        update.Parameters.AddWithValue("$at", UnitOfWork.Timestamp(unit.NowUtc));
        update.Parameters.AddWithValue("$by", unit.Actor.OperatorId);
        update.Parameters.AddWithValue("$reason", reason);
        update.Parameters.AddWithValue("$id", paymentId);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    // ---- bank debit ----

    /// <summary>The outcome recorded when the debit <paramref name="debitKey"/> was imported before, or null.</summary>
    public static async Task<string?> ImportedLineAsync(UnitOfWork unit, string debitKey, CancellationToken cancellationToken)
    {
        await using var known = unit.Command("SELECT outcome FROM parking_bank_lines WHERE debit_key = $key");
        known.Parameters.AddWithValue("$key", debitKey);
        return await known.ExecuteScalarAsync(cancellationToken) as string;
    }

    public static async Task<DebitAgreement?> AgreementByNumberAsync(UnitOfWork unit, string agreementNumber, CancellationToken cancellationToken)
    {
        await using var find = unit.Command("SELECT id, payment_method, ended_utc IS NOT NULL FROM parking_agreements WHERE agreement_number = $number");
        find.Parameters.AddWithValue("$number", agreementNumber);
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new DebitAgreement(reader.GetInt64(0), reader.GetString(1), reader.GetBoolean(2)) : null;
    }

    public static async Task RememberLineAsync(UnitOfWork unit, BankResultLine line, string outcome, long? paymentId, CancellationToken cancellationToken)
    {
        await using var insert = unit.Command("""
            INSERT INTO parking_bank_lines(debit_key, agreement_number, amount_fen, debit_date, status, outcome, payment_id, imported_utc, imported_by)
            VALUES ($key, $number, $amount, $date, $status, $outcome, $payment, $at, $by)
            """);
        insert.Parameters.AddWithValue("$key", line.Key);
        insert.Parameters.AddWithValue("$number", line.AgreementNumber);
        insert.Parameters.AddWithValue("$amount", line.AmountFen);
        insert.Parameters.AddWithValue("$date", DateText(line.Date));
        insert.Parameters.AddWithValue("$status", line.Status == DebitStatus.Succeeded ? "ok" : "failed");
        insert.Parameters.AddWithValue("$outcome", outcome);
        insert.Parameters.AddWithValue("$payment", (object?)paymentId ?? DBNull.Value);
        insert.Parameters.AddWithValue("$at", UnitOfWork.Timestamp(unit.NowUtc));
        insert.Parameters.AddWithValue("$by", unit.Actor.OperatorId);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    // ---- rows ----

    private static async Task<IReadOnlyList<AgreementView>> ReadAgreementsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var list = new List<AgreementView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ToAgreement(reader));
        }

        return list;
    }

    private static void BindPeriod(SqliteCommand command, PeriodView period)
    {
        command.Parameters.AddWithValue("$chain", DateText(period.ChainStart));
        command.Parameters.AddWithValue("$months", period.Months);
        command.Parameters.AddWithValue("$days", period.Days);
        command.Parameters.AddWithValue("$start", DateText(period.Start));
        command.Parameters.AddWithValue("$end", DateText(period.End));
        command.Parameters.AddWithValue("$startUtc", UnitOfWork.Timestamp(period.StartUtc));
        command.Parameters.AddWithValue("$endUtc", UnitOfWork.Timestamp(period.EndUtc));
    }

    private static AgreementView ToAgreement(DbDataReader r) => new(
        r.GetInt64(0),
        r.GetString(1),
        r.GetInt64(2),
        r.GetInt64(3),
        r.GetString(4),
        r.GetString(5),
        r.GetInt64(6),
        r.GetString(7),
        r.GetString(8),
        r.GetString(9),
        r.IsDBNull(12) ? "active" : "ended",
        UnitOfWork.ParseTimestamp(r.GetString(10)),
        r.GetString(11),
        r.IsDBNull(12) ? null : UnitOfWork.ParseTimestamp(r.GetString(12)),
        r.IsDBNull(13) ? null : r.GetString(13),
        r.IsDBNull(14) ? null : ParseDate(r.GetString(14)),
        r.IsDBNull(15) ? null : UnitOfWork.ParseTimestamp(r.GetString(15)))
    {
        HolderName = r.IsDBNull(16) ? null : r.GetString(16),
        BankAccountName = r.IsDBNull(17) ? null : r.GetString(17),
        BankAccount = r.IsDBNull(18) ? null : BankAccounts.Mask(r.GetString(18)),
    };

    private static PaymentView ToPayment(DbDataReader r) => new(
        r.GetInt64(0),
        r.GetInt64(1),
        r.GetInt64(2),
        r.GetString(3),
        r.GetString(4),
        r.GetString(5),
        UnitOfWork.ParseTimestamp(r.GetString(6)),
        r.GetString(7),
        r.IsDBNull(8) ? null : UnitOfWork.ParseTimestamp(r.GetString(8)),
        r.IsDBNull(9) ? null : r.GetString(9),
        r.IsDBNull(10) ? null : UnitOfWork.ParseTimestamp(r.GetString(10)),
        r.IsDBNull(11) ? null : r.GetString(11),
        r.IsDBNull(12) ? null : r.GetString(12),
        r.IsDBNull(13) ? null : new PeriodView(r.GetInt64(0), ParseDate(r.GetString(13)), ParseDate(r.GetString(14)), UnitOfWork.ParseTimestamp(r.GetString(15)), UnitOfWork.ParseTimestamp(r.GetString(16)), r.GetInt32(17), r.GetInt32(18), ParseDate(r.GetString(19))))
    {
        AgreementNumber = r.GetString(20),
        HolderId = r.GetInt64(21),
        HolderName = r.IsDBNull(22) ? null : r.GetString(22),
    };

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static string DateText(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly ParseDate(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}
