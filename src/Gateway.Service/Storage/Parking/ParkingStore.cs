using System.Data.Common;
using System.Globalization;
using Gateway.Service.Domain.Parking;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Storage.Parking;

/// <summary>
/// Parking agreements, payments and periods in SQLite. Every change runs in one
/// <see cref="UnitOfWork"/> (one IMMEDIATE transaction, so a check and the write it guards cannot be
/// interleaved with another writer), records its audit entry, and writes an outbox marker for the
/// agreement's card when the card's whitelist validity may change. The rules come from
/// <see cref="PeriodPricing"/> and <see cref="PeriodChain"/>; this class only loads and stores.
/// </summary>
public sealed class ParkingStore
{
    private const string AgreementColumns = "a.id, a.agreement_number, a.holder_id, a.card_number, a.plate, a.space, a.monthly_fee_fen, a.billing_cycle, a.payment_method, a.signed_copy_ref, a.created_utc, a.created_by, a.ended_utc, a.end_reason, a.paid_until_date, a.paid_until_utc";
    private const string PaymentColumns = "p.id, p.agreement_id, p.amount_fen, p.method, p.receipt_number, p.state, p.recorded_utc, p.recorded_by, p.granted_utc, p.granted_by, p.reversed_utc, p.reversed_by, p.reversal_reason, r.start_date, r.end_date, r.start_utc, r.end_utc, r.months, r.days, r.chain_start";

    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _writes;
    private readonly ParkingRules _rules;

    public ParkingStore(GatewayDatabase database, UnitOfWorkFactory writes, ParkingRules rules)
    {
        _database = database;
        _writes = writes;
        _rules = rules;
    }

    public ParkingRules Rules => _rules;

    // ---- agreements ----

    public async Task<Outcome<AgreementView>> CreateAgreementAsync(Actor actor, NewAgreement agreement, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        if (!await ExistsAsync(unit, "SELECT 1 FROM holders WHERE id = $id", agreement.HolderId, cancellationToken))
        {
            return ParkingError.NotFound($"holder {agreement.HolderId}");
        }

        await using (var card = unit.Command("SELECT state, holder_id, kind FROM cards WHERE number = $number"))
        {
            card.Parameters.AddWithValue("$number", agreement.CardNumber);
            await using var reader = await card.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return ParkingError.NotFound($"card {agreement.CardNumber}");
            }

            // The agreement's card must be the holder's issued parking card: only then does the car park's controller get it.
            var state = reader.GetString(0);
            if (state != "issued" || reader.IsDBNull(1) || reader.GetInt64(1) != agreement.HolderId)
            {
                return ParkingError.InvalidState($"card {agreement.CardNumber} is {state}{(state == "issued" ? " to another holder" : string.Empty)}; an agreement needs a card issued to holder {agreement.HolderId}", state);
            }

            var kind = reader.IsDBNull(2) ? null : reader.GetString(2);
            if (kind is not ("parking" or "both"))
            {
                return ParkingError.InvalidState($"card {agreement.CardNumber} is an {kind} card; a parking agreement needs a card of kind parking or both", state);
            }
        }

        await using (var check = unit.Command("""
            SELECT CASE
                WHEN EXISTS (SELECT 1 FROM parking_agreements WHERE agreement_number = $number) THEN 'number'
                WHEN EXISTS (SELECT 1 FROM parking_agreements WHERE card_number = $card AND ended_utc IS NULL) THEN 'card'
                WHEN EXISTS (SELECT 1 FROM parking_agreements WHERE space = $space AND ended_utc IS NULL) THEN 'space'
            END
            """))
        {
            check.Parameters.AddWithValue("$number", agreement.AgreementNumber);
            check.Parameters.AddWithValue("$card", agreement.CardNumber);
            check.Parameters.AddWithValue("$space", agreement.Space);
            switch (await check.ExecuteScalarAsync(cancellationToken) as string)
            {
                case "number": return ParkingError.Conflict($"agreement number {agreement.AgreementNumber} is already used");
                case "card": return ParkingError.Conflict($"card {agreement.CardNumber} already has an active parking agreement");
                case "space": return ParkingError.Conflict($"space {agreement.Space} already has an active parking agreement");
            }
        }

        long id;
        await using (var insert = unit.Command("""
            INSERT INTO parking_agreements(agreement_number, holder_id, card_number, plate, space, monthly_fee_fen, billing_cycle, payment_method, signed_copy_ref, created_utc, created_by)
            VALUES ($number, $holder, $card, $plate, $space, $fee, $cycle, $method, $copy, $at, $by) RETURNING id
            """))
        {
            insert.Parameters.AddWithValue("$number", agreement.AgreementNumber);
            insert.Parameters.AddWithValue("$holder", agreement.HolderId);
            insert.Parameters.AddWithValue("$card", agreement.CardNumber);
            insert.Parameters.AddWithValue("$plate", agreement.Plate);
            insert.Parameters.AddWithValue("$space", agreement.Space);
            insert.Parameters.AddWithValue("$fee", agreement.MonthlyFeeFen);
            insert.Parameters.AddWithValue("$cycle", agreement.Cycle.ToWire());
            insert.Parameters.AddWithValue("$method", agreement.Method.ToWire());
            insert.Parameters.AddWithValue("$copy", agreement.SignedCopyRef);
            insert.Parameters.AddWithValue("$at", UnitOfWork.Timestamp(unit.NowUtc));
            insert.Parameters.AddWithValue("$by", actor.OperatorId);
            id = Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }

        unit.Audit("parking.agreement.create", $"agreement:{id}", new
        {
            agreement.AgreementNumber,
            agreement.HolderId,
            agreement.CardNumber,
            agreement.Plate,
            agreement.Space,
            agreement.MonthlyFeeFen,
            BillingCycle = agreement.Cycle.ToWire(),
            PaymentMethod = agreement.Method.ToWire(),
            agreement.SignedCopyRef,
        });
        var view = await ReadAgreementAsync(unit.Connection, unit.Transaction, id, withPeriods: false, cancellationToken);
        await unit.CommitAsync(cancellationToken);
        return view!;
    }

    /// <summary>Ends an agreement at move-out; the card's parking validity goes with it (outbox).</summary>
    public async Task<Outcome<AgreementView>> EndAgreementAsync(Actor actor, long agreementId, string reason, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var agreement = await ReadAgreementAsync(unit.Connection, unit.Transaction, agreementId, withPeriods: false, cancellationToken);
        if (agreement is null)
        {
            return ParkingError.NotFound($"agreement {agreementId}");
        }

        if (agreement.EndedUtc is not null)
        {
            return ParkingError.InvalidState($"agreement {agreement.AgreementNumber} has already ended", "ended");
        }

        await using (var update = unit.Command("UPDATE parking_agreements SET ended_utc = $at, ended_by = $by, end_reason = $reason WHERE id = $id"))
        {
            update.Parameters.AddWithValue("$at", UnitOfWork.Timestamp(unit.NowUtc));
            update.Parameters.AddWithValue("$by", actor.OperatorId);
            update.Parameters.AddWithValue("$reason", reason);
            update.Parameters.AddWithValue("$id", agreementId);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await unit.MarkCardChangedAsync(agreement.CardNumber, "parking.agreement.end", cancellationToken);
        unit.Audit("parking.agreement.end", $"agreement:{agreementId}", new { agreement.AgreementNumber, agreement.CardNumber, Reason = reason });
        var view = await ReadAgreementAsync(unit.Connection, unit.Transaction, agreementId, withPeriods: false, cancellationToken);
        await unit.CommitAsync(cancellationToken);
        return view!;
    }

    public async Task<AgreementView?> GetAgreementAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        return await ReadAgreementAsync(connection, null, id, withPeriods: true, cancellationToken);
    }

    public async Task<IReadOnlyList<AgreementView>> ListAgreementsAsync(AgreementFilter filter, int limit, long after, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        var where = new List<string> { "a.id > $after" };
        command.Parameters.AddWithValue("$after", after);
        if (filter.Plate is not null)
        {
            where.Add("a.plate = $plate");
            command.Parameters.AddWithValue("$plate", filter.Plate);
        }

        if (filter.HolderId is not null)
        {
            where.Add("a.holder_id = $holder");
            command.Parameters.AddWithValue("$holder", filter.HolderId);
        }

        if (filter.CardNumber is not null)
        {
            where.Add("a.card_number = $card");
            command.Parameters.AddWithValue("$card", filter.CardNumber);
        }

        if (filter.AgreementNumber is not null)
        {
            where.Add("a.agreement_number = $number");
            command.Parameters.AddWithValue("$number", filter.AgreementNumber);
        }

        if (filter.Space is not null)
        {
            where.Add("a.space = $space");
            command.Parameters.AddWithValue("$space", filter.Space);
        }

        if (filter.State == "active")
        {
            where.Add("a.ended_utc IS NULL");
        }
        else if (filter.State == "ended")
        {
            where.Add("a.ended_utc IS NOT NULL");
        }

        command.CommandText = $"SELECT {AgreementColumns} FROM parking_agreements a WHERE {string.Join(" AND ", where)} ORDER BY a.id LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        var list = new List<AgreementView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ToAgreement(reader));
        }

        return list;
    }

    /// <summary>Active agreements whose paid period ends after <paramref name="now"/> and no later than <paramref name="days"/> days from it.</summary>
    public async Task<IReadOnlyList<ExpiringView>> ExpiringAsync(DateTimeOffset now, int days, int limit, long after, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {AgreementColumns} FROM parking_agreements a
            WHERE a.ended_utc IS NULL AND a.paid_until_utc > $now AND a.paid_until_utc <= $until AND a.id > $after
            ORDER BY a.id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(now));
        command.Parameters.AddWithValue("$until", UnitOfWork.Timestamp(now.AddDays(days)));
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$limit", limit);
        var today = _rules.Calendar.DateOf(now);
        var list = new List<ExpiringView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var a = ToAgreement(reader);
            list.Add(new ExpiringView(a.Id, a.AgreementNumber, a.HolderId, a.CardNumber, a.Plate, a.Space, a.PaymentMethod, a.PaidUntil!.Value, a.PaidUntilUtc!.Value, a.PaidUntil.Value.DayNumber - today.DayNumber));
        }

        return list;
    }

    /// <summary>
    /// The debit requests for <paramref name="month"/>: every active bank-debit agreement whose paid
    /// period ends before the month is over (or that has none), for one billing cycle, due at its
    /// paid end or on the first of the month if that is earlier.
    /// </summary>
    public async Task<IReadOnlyList<DebitRequest>> DebitRequestsAsync(DateOnly month, CancellationToken cancellationToken)
    {
        var first = new DateOnly(month.Year, month.Month, 1);
        var next = first.AddMonths(1);
        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT agreement_number, monthly_fee_fen, billing_cycle, paid_until_date, plate FROM parking_agreements
            WHERE ended_utc IS NULL AND payment_method = 'bank-debit' AND (paid_until_date IS NULL OR paid_until_date < $next)
            ORDER BY agreement_number
            """;
        command.Parameters.AddWithValue("$next", DateText(next));
        var list = new List<DebitRequest>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ParkingNames.TryParseCycle(reader.GetString(2), out var cycle);
            var paidUntil = reader.IsDBNull(3) ? (DateOnly?)null : ParseDate(reader.GetString(3));
            var due = paidUntil is { } p && p > first ? p : first;
            list.Add(new DebitRequest(reader.GetString(0), reader.GetInt64(1) * cycle.Months(), due, reader.GetString(4)));
        }

        return list;
    }

    // ---- payments ----

    /// <summary>Records a payment; <paramref name="beforeCommit"/> runs inside its unit of work just before commit (the API stores its idempotent response there).</summary>
    public async Task<Outcome<PaymentView>> RecordPaymentAsync(Actor actor, NewPayment payment, CancellationToken cancellationToken, Func<UnitOfWork, PaymentView, Task>? beforeCommit = null)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var agreement = await ReadAgreementAsync(unit.Connection, unit.Transaction, payment.AgreementId, withPeriods: false, cancellationToken);
        if (agreement is null)
        {
            return ParkingError.NotFound($"agreement {payment.AgreementId}");
        }

        if (agreement.EndedUtc is not null)
        {
            return ParkingError.InvalidState($"agreement {agreement.AgreementNumber} has ended and takes no payments", "ended");
        }

        if (await ReceiptExistsAsync(unit, payment.ReceiptNumber, cancellationToken))
        {
            return ParkingError.Conflict($"receipt number {payment.ReceiptNumber} is already recorded");
        }

        var id = await InsertPaymentAsync(unit, payment, cancellationToken);
        unit.Audit("parking.payment.record", $"payment:{id}", new { payment.AgreementId, agreement.AgreementNumber, payment.AmountFen, Method = payment.Method.ToWire(), payment.ReceiptNumber });
        var view = await ReadPaymentAsync(unit.Connection, unit.Transaction, id, cancellationToken);
        if (beforeCommit is not null)
        {
            await beforeCommit(unit, view!);
        }

        await unit.CommitAsync(cancellationToken);
        return view!;
    }

    public async Task<PaymentView?> GetPaymentAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        return await ReadPaymentAsync(connection, null, id, cancellationToken);
    }

    public async Task<IReadOnlyList<PaymentView>> ListPaymentsAsync(long? agreementId, string? state, int limit, long after, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
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

        command.CommandText = $"SELECT {PaymentColumns} FROM parking_payments p LEFT JOIN parking_periods r ON r.payment_id = p.id WHERE {string.Join(" AND ", where)} ORDER BY p.id LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        var list = new List<PaymentView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ToPayment(reader));
        }

        return list;
    }

    /// <summary>
    /// Grants the period payment <paramref name="paymentId"/> buys (DESIGN's rules), in one transaction
    /// with its outbox marker and audit entry; <paramref name="beforeCommit"/> runs inside that
    /// transaction just before commit when the grant succeeds (the API stores its idempotent response there).
    /// </summary>
    public async Task<Outcome<GrantView>> GrantAsync(Actor actor, long paymentId, CancellationToken cancellationToken, Func<UnitOfWork, GrantView, Task>? beforeCommit = null)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var outcome = await GrantInAsync(unit, paymentId, cancellationToken);
        if (outcome.Value is { } grant)
        {
            if (beforeCommit is not null)
            {
                await beforeCommit(unit, grant);
            }

            await unit.CommitAsync(cancellationToken);
        }

        return outcome;
    }

    private async Task<Outcome<GrantView>> GrantInAsync(UnitOfWork unit, long paymentId, CancellationToken cancellationToken)
    {
        PaymentView payment;
        long fee, cardNumber;
        string cycleText;
        bool ended;
        await using (var read = unit.Command($"""
            SELECT {PaymentColumns}, a.monthly_fee_fen, a.billing_cycle, a.card_number, a.ended_utc IS NOT NULL
            FROM parking_payments p JOIN parking_agreements a ON a.id = p.agreement_id LEFT JOIN parking_periods r ON r.payment_id = p.id WHERE p.id = $id
            """))
        {
            read.Parameters.AddWithValue("$id", paymentId);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return ParkingError.NotFound($"payment {paymentId}");
            }

            payment = ToPayment(reader);
            fee = reader.GetInt64(20);
            cycleText = reader.GetString(21);
            cardNumber = reader.GetInt64(22);
            ended = reader.GetBoolean(23);
        }

        var state = payment.State;
        var amount = payment.AmountFen;
        var agreementId = payment.AgreementId;
        if (state != "recorded")
        {
            return ParkingError.InvalidState($"payment {paymentId} is {state}; only a recorded payment can be granted", state);
        }

        if (ended)
        {
            return ParkingError.InvalidState($"the agreement of payment {paymentId} has ended", "ended");
        }

        ParkingNames.TryParseCycle(cycleText, out var cycle);
        if (!PeriodPricing.TryPrice(amount, fee, cycle, _rules.ProrationAllowed, out var purchase, out var refusal))
        {
            return ParkingError.Refused(refusal);
        }

        var entries = await ReadEntriesAsync(unit, agreementId, cancellationToken);
        if (!PeriodChain.TryGrant(entries, paymentId, purchase, unit.NowUtc, _rules, out var grant, out refusal))
        {
            return ParkingError.Refused(refusal);
        }

        var period = ToView(grant.Period);
        await using (var insert = unit.Command("""
            INSERT INTO parking_periods(payment_id, agreement_id, seq, chain_start, months, days, start_date, end_date, start_utc, end_utc)
            VALUES ($payment, $agreement, (SELECT COALESCE(MAX(seq), 0) + 1 FROM parking_periods WHERE agreement_id = $agreement), $chain, $months, $days, $start, $end, $startUtc, $endUtc)
            """))
        {
            insert.Parameters.AddWithValue("$payment", paymentId);
            insert.Parameters.AddWithValue("$agreement", agreementId);
            BindPeriod(insert, period);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        // One command, two statements: the payment is granted and the agreement's paid end follows its last period.
        await using (var update = unit.Command("""
            UPDATE parking_payments SET state = 'granted', granted_utc = $at, granted_by = $by WHERE id = $id;
            UPDATE parking_agreements SET paid_until_date = $date, paid_until_utc = $utc WHERE id = $agreement;
            """))
        {
            update.Parameters.AddWithValue("$at", UnitOfWork.Timestamp(unit.NowUtc));
            update.Parameters.AddWithValue("$by", unit.Actor.OperatorId);
            update.Parameters.AddWithValue("$id", paymentId);
            update.Parameters.AddWithValue("$date", DateText(period.End));
            update.Parameters.AddWithValue("$utc", UnitOfWork.Timestamp(period.EndUtc));
            update.Parameters.AddWithValue("$agreement", agreementId);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        var sequence = await unit.MarkCardChangedAsync(cardNumber, "parking.grant", cancellationToken);
        unit.Audit("parking.payment.grant", $"payment:{paymentId}", new { AgreementId = agreementId, CardNumber = cardNumber, AmountFen = amount, purchase.Months, purchase.Days, period.Start, period.End, grant.Extended });
        var validity = PeriodChain.Validity(PeriodChain.Layout([.. entries, grant.Period.Entry]), _rules)!;
        var granted = payment with { State = "granted", GrantedUtc = unit.NowUtc, GrantedBy = unit.Actor.OperatorId, Period = period };
        return new GrantView(granted, period, grant.Extended, validity, sequence);
    }

    /// <summary>
    /// Reverses a payment: a granted one loses its period and the later periods of its chain move
    /// earlier; a recorded one is simply marked reversed. Either way the card is marked for sync.
    /// </summary>
    public async Task<Outcome<ReversalView>> ReverseAsync(Actor actor, long paymentId, string reason, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var payment = await ReadPaymentAsync(unit.Connection, unit.Transaction, paymentId, cancellationToken);
        if (payment is null)
        {
            return ParkingError.NotFound($"payment {paymentId}");
        }

        if (payment.State == "reversed")
        {
            return ParkingError.InvalidState($"payment {paymentId} is already reversed", payment.State);
        }

        long cardNumber;
        await using (var card = unit.Command("SELECT card_number FROM parking_agreements WHERE id = $id"))
        {
            card.Parameters.AddWithValue("$id", payment.AgreementId);
            cardNumber = Convert.ToInt64(await card.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }

        PeriodView? removed = null;
        var moved = new List<PeriodView>();
        ControllerValidity? validity = null;
        if (payment.State == "granted")
        {
            var entries = await ReadEntriesAsync(unit, payment.AgreementId, cancellationToken);
            if (!PeriodChain.TryReverse(entries, paymentId, out var reversal, out var refusal))
            {
                return ParkingError.Refused(refusal);
            }

            removed = ToView(reversal.Removed);
            await using (var delete = unit.Command("DELETE FROM parking_periods WHERE payment_id = $id"))
            {
                delete.Parameters.AddWithValue("$id", paymentId);
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }

            foreach (var period in reversal.Moved)
            {
                var view = ToView(period);
                moved.Add(view);
                await using var update = unit.Command("""
                    UPDATE parking_periods SET chain_start = $chain, months = $months, days = $days, start_date = $start, end_date = $end, start_utc = $startUtc, end_utc = $endUtc
                    WHERE payment_id = $payment
                    """);
                update.Parameters.AddWithValue("$payment", period.PaymentId);
                BindPeriod(update, view);
                await update.ExecuteNonQueryAsync(cancellationToken);
            }

            await SetPaidUntilAsync(unit, payment.AgreementId, reversal.Periods.Count == 0 ? null : ToView(reversal.Periods[^1]), cancellationToken);
            validity = PeriodChain.Validity(reversal.Periods, _rules);
        }

        await using (var update = unit.Command("UPDATE parking_payments SET state = 'reversed', reversed_utc = $at, reversed_by = $by, reversal_reason = $reason WHERE id = $id"))
        {
            update.Parameters.AddWithValue("$at", UnitOfWork.Timestamp(unit.NowUtc));
            update.Parameters.AddWithValue("$by", actor.OperatorId);
            update.Parameters.AddWithValue("$reason", reason);
            update.Parameters.AddWithValue("$id", paymentId);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        var sequence = await unit.MarkCardChangedAsync(cardNumber, "parking.reversal", cancellationToken);
        unit.Audit("parking.payment.reverse", $"payment:{paymentId}", new { payment.AgreementId, CardNumber = cardNumber, payment.AmountFen, WasState = payment.State, Reason = reason, Removed = removed, Moved = moved.Select(m => m.PaymentId).ToList() });
        var after = await ReadPaymentAsync(unit.Connection, unit.Transaction, paymentId, cancellationToken);
        await unit.CommitAsync(cancellationToken);
        return new ReversalView(after!, removed, moved, validity, sequence);
    }

    // ---- bank debit ----

    /// <summary>
    /// Applies a bank result file in one transaction: each successful debit is recorded as a
    /// bank-debit payment and granted; failed debits are noted; lines seen before (in this file or an
    /// earlier import), lines for unknown, cash or ended agreements and malformed lines are reported
    /// and change nothing. A file that changes nothing is not committed at all, so importing the same
    /// file twice leaves the database as the first import left it.
    /// </summary>
    public async Task<ImportReport> ImportBankResultsAsync(Actor actor, BankResultFile file, CancellationToken cancellationToken)
    {
        var results = new List<ImportLineView>();
        results.AddRange(file.Malformed.Select(m => new ImportLineView(m.LineNumber, null, null, null, "malformed", m.Reason, null, null)));
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var changed = false;
        foreach (var line in file.Lines)
        {
            ImportLineView Report(string outcome, string detail, long? paymentId = null, PeriodView? period = null) =>
                new(line.LineNumber, line.AgreementNumber, line.AmountFen, line.Date, outcome, detail, paymentId, period);

            if (!seen.Add(line.Key))
            {
                results.Add(Report("duplicate", "the same debit appears earlier in this file"));
                continue;
            }

            await using (var known = unit.Command("SELECT outcome FROM parking_bank_lines WHERE debit_key = $key"))
            {
                known.Parameters.AddWithValue("$key", line.Key);
                if (await known.ExecuteScalarAsync(cancellationToken) is string earlier)
                {
                    results.Add(Report("duplicate", $"already imported (then: {earlier})"));
                    continue;
                }
            }

            long agreementId;
            string method;
            bool ended;
            await using (var find = unit.Command("SELECT id, payment_method, ended_utc IS NOT NULL FROM parking_agreements WHERE agreement_number = $number"))
            {
                find.Parameters.AddWithValue("$number", line.AgreementNumber);
                await using var reader = await find.ExecuteReaderAsync(cancellationToken);
                if (!await reader.ReadAsync(cancellationToken))
                {
                    results.Add(Report("unmatched", $"no agreement numbered {line.AgreementNumber}"));
                    continue;
                }

                agreementId = reader.GetInt64(0);
                method = reader.GetString(1);
                ended = reader.GetBoolean(2);
            }

            if (method != "bank-debit")
            {
                results.Add(Report("unmatched", $"agreement {line.AgreementNumber} is paid by {method}, not bank debit"));
                continue;
            }

            if (line.Status == DebitStatus.Failed)
            {
                await RememberLineAsync(unit, line, "failed", null, cancellationToken);
                changed = true;
                results.Add(Report("failed", line.Reason is null ? "the bank reports the debit failed" : $"the bank reports the debit failed: {line.Reason}"));
                continue;
            }

            if (ended)
            {
                results.Add(Report("unmatched", $"agreement {line.AgreementNumber} has ended; the debit needs a refund, not a period"));
                continue;
            }

            var receipt = string.Create(CultureInfo.InvariantCulture, $"bank:{line.AgreementNumber}:{line.Date:yyyy-MM-dd}:{line.AmountFen}");
            if (await ReceiptExistsAsync(unit, receipt, cancellationToken))
            {
                results.Add(Report("duplicate", $"a payment with receipt {receipt} is already recorded"));
                continue;
            }

            var paymentId = await InsertPaymentAsync(unit, new NewPayment(agreementId, line.AmountFen, PaymentMethod.BankDebit, receipt), cancellationToken);
            unit.Audit("parking.payment.record", $"payment:{paymentId}", new { AgreementId = agreementId, line.AgreementNumber, line.AmountFen, Method = "bank-debit", ReceiptNumber = receipt, Line = line.LineNumber });
            changed = true;
            var grant = await GrantInAsync(unit, paymentId, cancellationToken);
            if (grant.Value is null)
            {
                await RememberLineAsync(unit, line, "recorded", paymentId, cancellationToken);
                results.Add(Report("refused", $"recorded as payment {paymentId} but not granted: {grant.Error!.Detail}", paymentId));
                continue;
            }

            await RememberLineAsync(unit, line, "granted", paymentId, cancellationToken);
            results.Add(Report("granted", $"period {grant.Value.Period.Start:yyyy-MM-dd} to {grant.Value.Period.End:yyyy-MM-dd}", paymentId, grant.Value.Period));
        }

        results.Sort((a, b) => a.Line.CompareTo(b.Line));
        var counts = results.GroupBy(r => r.Outcome).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        if (changed)
        {
            unit.Audit("parking.bank-debit.import", "bank-debit", new { Lines = results.Count, Counts = counts });
            await unit.CommitAsync(cancellationToken);
        }

        return new ImportReport(results.Count, counts, results, changed);
    }

    private static async Task RememberLineAsync(UnitOfWork unit, BankResultLine line, string outcome, long? paymentId, CancellationToken cancellationToken)
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

    // ---- helpers ----

    private static async Task<long> InsertPaymentAsync(UnitOfWork unit, NewPayment payment, CancellationToken cancellationToken)
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

    private static async Task<bool> ReceiptExistsAsync(UnitOfWork unit, string receipt, CancellationToken cancellationToken)
    {
        await using var check = unit.Command("SELECT 1 FROM parking_payments WHERE receipt_number = $receipt");
        check.Parameters.AddWithValue("$receipt", receipt);
        return await check.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static async Task<bool> ExistsAsync(UnitOfWork unit, string sql, long id, CancellationToken cancellationToken)
    {
        await using var command = unit.Command(sql);
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static async Task<List<PeriodEntry>> ReadEntriesAsync(UnitOfWork unit, long agreementId, CancellationToken cancellationToken)
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

    private static async Task SetPaidUntilAsync(UnitOfWork unit, long agreementId, PeriodView? last, CancellationToken cancellationToken)
    {
        await using var update = unit.Command("UPDATE parking_agreements SET paid_until_date = $date, paid_until_utc = $utc WHERE id = $id");
        update.Parameters.AddWithValue("$date", last is null ? DBNull.Value : DateText(last.End));
        update.Parameters.AddWithValue("$utc", last is null ? DBNull.Value : UnitOfWork.Timestamp(last.EndUtc));
        update.Parameters.AddWithValue("$id", agreementId);
        await update.ExecuteNonQueryAsync(cancellationToken);
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

    private PeriodView ToView(PaidPeriod period) => new(
        period.PaymentId,
        period.Start,
        period.End,
        _rules.Calendar.StartOf(period.Start),
        _rules.Calendar.StartOf(period.End),
        period.Months,
        period.Days,
        period.ChainStart);

    private async Task<AgreementView?> ReadAgreementAsync(SqliteConnection connection, SqliteTransaction? transaction, long id, bool withPeriods, CancellationToken cancellationToken)
    {
        AgreementView agreement;
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"SELECT {AgreementColumns} FROM parking_agreements a WHERE a.id = $id";
            command.Parameters.AddWithValue("$id", id);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            agreement = ToAgreement(reader);
        }

        if (!withPeriods)
        {
            return agreement;
        }

        var periods = new List<PeriodView>();
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT payment_id, start_date, end_date, start_utc, end_utc, months, days, chain_start FROM parking_periods WHERE agreement_id = $id ORDER BY seq";
            command.Parameters.AddWithValue("$id", id);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                periods.Add(new PeriodView(reader.GetInt64(0), ParseDate(reader.GetString(1)), ParseDate(reader.GetString(2)), UnitOfWork.ParseTimestamp(reader.GetString(3)), UnitOfWork.ParseTimestamp(reader.GetString(4)), reader.GetInt32(5), reader.GetInt32(6), ParseDate(reader.GetString(7))));
            }
        }

        var layout = periods.Select(p => new PaidPeriod(p.PaymentId, p.ChainStart, p.Months, p.Days, p.Start, p.End)).ToList();
        return agreement with { Periods = periods, Validity = agreement.EndedUtc is null ? PeriodChain.Validity(layout, _rules) : null };
    }

    private static async Task<PaymentView?> ReadPaymentAsync(SqliteConnection connection, SqliteTransaction? transaction, long id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {PaymentColumns} FROM parking_payments p LEFT JOIN parking_periods r ON r.payment_id = p.id WHERE p.id = $id";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ToPayment(reader) : null;
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
        r.IsDBNull(15) ? null : UnitOfWork.ParseTimestamp(r.GetString(15)));

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
        r.IsDBNull(13) ? null : new PeriodView(r.GetInt64(0), ParseDate(r.GetString(13)), ParseDate(r.GetString(14)), UnitOfWork.ParseTimestamp(r.GetString(15)), UnitOfWork.ParseTimestamp(r.GetString(16)), r.GetInt32(17), r.GetInt32(18), ParseDate(r.GetString(19))));

    private static string DateText(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly ParseDate(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}
