using System.Globalization;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Storage;

namespace Gateway.Service.Parking;

/// <summary>What a new agreement clashes with (see <see cref="ParkingWorkflow.ClashOf"/>).</summary>
public enum AgreementClash
{
    None,
    Number,
    Card,
    Space,
}

/// <summary>
/// Parking agreements, payments and the periods they buy (DESIGN.md "Time, money and periods"). Every
/// change runs in one <see cref="UnitOfWork"/> (one write transaction, so a check and the write it guards
/// cannot be interleaved with another writer), records its audit entry, and writes an outbox marker for
/// the agreement's card when the card's validity on the car park's controllers may change. The rules are
/// <see cref="PeriodPricing"/> and <see cref="PeriodChain"/>; the SQL is <see cref="ParkingStore"/>'s.
/// Refusals of the rules are <see cref="RefusalKind.Rule"/> with the rule's code (<see cref="ParkingRefusal"/>).
/// </summary>
public sealed class ParkingWorkflow
{
    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _writes;
    private readonly ParkingRules _rules;

    public ParkingWorkflow(GatewayDatabase database, UnitOfWorkFactory writes, ParkingRules rules)
    {
        _database = database;
        _writes = writes;
        _rules = rules;
    }

    /// <summary>The site's parking rules (time zone, grace, proration).</summary>
    public ParkingRules Rules => _rules;

    // ---- agreements ----

    /// <summary>
    /// The one clash a new agreement is refused for: its number first (any agreement, ended or not: numbers are
    /// never reused), then its card, then its space (active agreements only); <see cref="AgreementClash.None"/> when free.
    /// </summary>
    public static AgreementClash ClashOf(AgreementTaken taken)
    {
        ArgumentNullException.ThrowIfNull(taken);
        return taken.Number ? AgreementClash.Number
            : taken.Card ? AgreementClash.Card
            : taken.Space ? AgreementClash.Space
            : AgreementClash.None;
    }

    /// <summary>Records an agreement for the holder's issued parking card; number, card and space are unique among active agreements.</summary>
    public async Task<Outcome<AgreementView>> CreateAgreementAsync(Actor actor, NewAgreement agreement, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        if (!await ParkingStore.HolderExistsAsync(unit, agreement.HolderId, cancellationToken))
        {
            return Refusal.NotFound($"holder {agreement.HolderId}");
        }

        if (await ParkingStore.CardAsync(unit, agreement.CardNumber, cancellationToken) is not { } card)
        {
            return Refusal.NotFound($"card {agreement.CardNumber}");
        }

        // The agreement's card must be the holder's issued parking card: only then does the car park's controller get it.
        if (card.State != "issued" || card.HolderId != agreement.HolderId)
        {
            return Refusal.InvalidState($"card {agreement.CardNumber} is {card.State}{(card.State == "issued" ? " to another holder" : string.Empty)}; an agreement needs a card issued to holder {agreement.HolderId}", card.State);
        }

        if (card.Kind is not ("parking" or "both"))
        {
            return Refusal.InvalidState($"card {agreement.CardNumber} is an {card.Kind} card; a parking agreement needs a card of kind parking or both", card.State);
        }

        switch (ClashOf(await ParkingStore.TakenAsync(unit, agreement, cancellationToken)))
        {
            case AgreementClash.Number: return Refusal.Conflict($"agreement number {agreement.AgreementNumber} is already used");
            case AgreementClash.Card: return Refusal.Conflict($"card {agreement.CardNumber} already has an active parking agreement");
            case AgreementClash.Space: return Refusal.Conflict($"space {agreement.Space} already has an active parking agreement");
        }

        var id = await ParkingStore.InsertAgreementAsync(unit, agreement, cancellationToken);
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
            BankAccountName = agreement.BankAccount?.Name,
            BankAccount = agreement.BankAccount?.Masked,
        });
        var view = await ParkingStore.AgreementAsync(unit.Connection, unit.Transaction, id, cancellationToken);
        await unit.CommitAsync(cancellationToken);
        return view!;
    }

    /// <summary>
    /// Changes an active agreement's card (a new card of the same holder: issued, of kind parking or
    /// both, with no other active agreement), plate, space (free among active agreements) or the bank
    /// account of a bank-debit agreement. A new card moves the periods with it: both cards are marked
    /// for sync, so the car park grants the new card and drops the old one. Audited with what changed.
    /// </summary>
    public async Task<Outcome<AgreementChangeView>> ChangeAgreementAsync(Actor actor, long agreementId, AgreementChange change, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var agreement = await ParkingStore.AgreementAsync(unit.Connection, unit.Transaction, agreementId, cancellationToken);
        if (agreement is null)
        {
            return Refusal.NotFound($"agreement {agreementId}");
        }

        if (agreement.EndedUtc is not null)
        {
            return Refusal.InvalidState($"agreement {agreement.AgreementNumber} has ended and can no longer change", "ended");
        }

        var changed = new List<string>();
        var details = new Dictionary<string, object?> { ["agreementNumber"] = agreement.AgreementNumber };
        var card = agreement.CardNumber;
        if (change.CardNumber is { } newCard && newCard != agreement.CardNumber)
        {
            if (await ParkingStore.CardAsync(unit, newCard, cancellationToken) is not { } stored)
            {
                return Refusal.NotFound($"card {newCard}");
            }

            if (stored.State != "issued" || stored.HolderId != agreement.HolderId)
            {
                return Refusal.InvalidState($"card {newCard} is {stored.State}{(stored.State == "issued" ? " to another holder" : string.Empty)}; the agreement's card must be issued to holder {agreement.HolderId}", stored.State);
            }

            if (stored.Kind is not ("parking" or "both"))
            {
                return Refusal.InvalidState($"card {newCard} is an {stored.Kind} card; a parking agreement needs a card of kind parking or both", stored.State);
            }

            if (await ParkingStore.TakenByAnotherAsync(unit, agreementId, newCard, null, cancellationToken))
            {
                return Refusal.Conflict($"card {newCard} already has an active parking agreement");
            }

            card = newCard;
            changed.Add("cardNumber");
            details["cardNumber"] = new { from = agreement.CardNumber, to = newCard };
        }

        var plate = agreement.Plate;
        if (change.Plate is { } newPlate && newPlate != agreement.Plate)
        {
            plate = newPlate;
            changed.Add("plate");
            details["plate"] = new { from = agreement.Plate, to = newPlate };
        }

        var space = agreement.Space;
        if (change.Space is { } newSpace && newSpace != agreement.Space)
        {
            if (await ParkingStore.TakenByAnotherAsync(unit, agreementId, null, newSpace, cancellationToken))
            {
                return Refusal.Conflict($"space {newSpace} already has an active parking agreement");
            }

            space = newSpace;
            changed.Add("space");
            details["space"] = new { from = agreement.Space, to = newSpace };
        }

        var account = await ParkingStore.BankAccountAsync(unit, agreementId, cancellationToken);
        if (change.BankAccount is { } newAccount && newAccount != account)
        {
            if (agreement.PaymentMethod != PaymentMethod.BankDebit.ToWire())
            {
                return Refusal.Invalid("bankAccountNumber", $"agreement {agreement.AgreementNumber} is paid in {agreement.PaymentMethod}; a bank account belongs to bank-debit agreements only");
            }

            // The audit log keeps the masked number only, as every list does.
            details["bankAccount"] = new { from = account is null ? null : $"{account.Name} {account.Masked}", to = $"{newAccount.Name} {newAccount.Masked}" };
            account = newAccount;
            changed.Add("bankAccount");
        }

        if (changed.Count == 0)
        {
            return new AgreementChangeView(agreement, [], null);
        }

        await ParkingStore.UpdateAgreementAsync(unit, agreementId, card, plate, space, account, cancellationToken);
        long? sequence = null;
        if (card != agreement.CardNumber)
        {
            // The periods belong to the agreement: the old card loses them, the new one gets them.
            await unit.MarkCardChangedAsync(agreement.CardNumber, "parking.agreement.card-change", cancellationToken);
            sequence = await unit.MarkCardChangedAsync(card, "parking.agreement.card-change", cancellationToken);
        }

        unit.Audit("parking.agreement.change", $"agreement:{agreementId}", details);
        var view = await ParkingStore.AgreementAsync(unit.Connection, unit.Transaction, agreementId, cancellationToken);
        await unit.CommitAsync(cancellationToken);
        return new AgreementChangeView(view!, changed, sequence);
    }

    /// <summary>
    /// Parking follows the card: inside the unit of work of a card change (a replacement's commit), the
    /// active agreements of <paramref name="fromCard"/> move to <paramref name="toCard"/> with their paid
    /// periods (they belong to the agreement, so the chain is untouched), each audited with
    /// <paramref name="reason"/>. The caller's card changes mark both cards for sync, so the car park
    /// grants the new card and blocks the old one.
    /// </summary>
    public static async Task<IReadOnlyList<MovedAgreement>> FollowCardAsync(UnitOfWork unit, long fromCard, long toCard, string reason, CancellationToken cancellationToken)
    {
        var moved = await ParkingStore.MoveActiveAgreementsAsync(unit, fromCard, toCard, cancellationToken);
        foreach (var agreement in moved)
        {
            unit.Audit("parking.agreement.change", $"agreement:{agreement.Id}", new { agreement.AgreementNumber, CardNumber = new { From = fromCard, To = toCard }, Reason = reason });
        }

        return moved;
    }

    /// <summary>Ends an agreement at move-out; the card's parking validity goes with it (outbox).</summary>
    public async Task<Outcome<AgreementView>> EndAgreementAsync(Actor actor, long agreementId, string reason, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var agreement = await ParkingStore.AgreementAsync(unit.Connection, unit.Transaction, agreementId, cancellationToken);
        if (agreement is null)
        {
            return Refusal.NotFound($"agreement {agreementId}");
        }

        if (agreement.EndedUtc is not null)
        {
            return Refusal.InvalidState($"agreement {agreement.AgreementNumber} has already ended", "ended");
        }

        await ParkingStore.EndAgreementAsync(unit, agreementId, reason, cancellationToken);
        await unit.MarkCardChangedAsync(agreement.CardNumber, "parking.agreement.end", cancellationToken);
        unit.Audit("parking.agreement.end", $"agreement:{agreementId}", new { agreement.AgreementNumber, agreement.CardNumber, Reason = reason });
        var view = await ParkingStore.AgreementAsync(unit.Connection, unit.Transaction, agreementId, cancellationToken);
        await unit.CommitAsync(cancellationToken);
        return view!;
    }

    /// <summary>One agreement with its periods and, while active, the validity the car park's controllers get.</summary>
    public async Task<AgreementView?> GetAgreementAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        if (await ParkingStore.AgreementAsync(connection, null, id, cancellationToken) is not { } agreement)
        {
            return null;
        }

        var periods = await ParkingStore.PeriodsAsync(connection, null, id, cancellationToken);
        var layout = periods.Select(p => new PaidPeriod(p.PaymentId, p.ChainStart, p.Months, p.Days, p.Start, p.End)).ToList();
        return agreement with { Periods = periods, Validity = agreement.EndedUtc is null ? PeriodChain.Validity(layout, _rules) : null };
    }

    public async Task<Page<AgreementView>> ListAgreementsAsync(AgreementFilter filter, PageRequest page, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        return page.ToPage(await ParkingStore.ListAgreementsAsync(connection, filter, page.Limit + 1, page.After, cancellationToken), a => a.Id);
    }

    /// <summary>Active agreements whose paid period ends after <paramref name="now"/> and no later than <paramref name="days"/> days from it.</summary>
    public async Task<Page<ExpiringView>> ExpiringAsync(DateTimeOffset now, int days, PageRequest page, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        var today = _rules.Calendar.DateOf(now);
        var rows = await ParkingStore.PaidUntilBetweenAsync(connection, now, now.AddDays(days), page.Limit + 1, page.After, cancellationToken);
        var list = rows.Select(a => new ExpiringView(a.Id, a.AgreementNumber, a.HolderId, a.HolderName, a.CardNumber, a.Plate, a.Space, a.PaymentMethod, a.PaidUntil!.Value, a.PaidUntilUtc!.Value, a.PaidUntil.Value.DayNumber - today.DayNumber)).ToList();
        return page.ToPage(list, e => e.AgreementId);
    }

    /// <summary>
    /// Active agreements whose paid period has lapsed at <paramref name="now"/> (paid end at or before
    /// it, grace not counted: the grace keeps the gate open, the debt is there) or that were never paid,
    /// with days overdue in site dates, the last payment, and the holder's name and phone.
    /// </summary>
    public async Task<Page<OverdueView>> OverdueAsync(DateTimeOffset now, PageRequest page, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        var today = _rules.Calendar.DateOf(now);
        var rows = await ParkingStore.OverdueAsync(connection, now, page.Limit + 1, page.After, cancellationToken);
        var list = rows.Select(r =>
        {
            var a = r.Agreement;
            var since = a.PaidUntil ?? _rules.Calendar.DateOf(a.CreatedUtc);
            return new OverdueView(a.Id, a.AgreementNumber, a.HolderId, a.HolderName, r.Phone, a.CardNumber, a.Plate, a.Space, a.PaymentMethod, a.PaidUntil, a.PaidUntilUtc, Math.Max(0, today.DayNumber - since.DayNumber), r.LastPaymentFen, r.LastPaymentUtc);
        }).ToList();
        return page.ToPage(list, o => o.AgreementId);
    }

    /// <summary>
    /// The debit requests for <paramref name="month"/>: every active bank-debit agreement whose paid
    /// period ends before the month is over (or that has none), for one billing cycle, due at its
    /// paid end or on the first of the month if that is earlier.
    /// </summary>
    public async Task<IReadOnlyList<DebitRequest>> DebitRequestsAsync(DateOnly month, CancellationToken cancellationToken)
    {
        var first = new DateOnly(month.Year, month.Month, 1);
        await using var connection = _database.OpenConnection();
        var candidates = await ParkingStore.DebitCandidatesAsync(connection, first.AddMonths(1), cancellationToken);
        return candidates.Select(c =>
        {
            ParkingNames.TryParseCycle(c.Cycle, out var cycle);
            var due = c.PaidUntil is { } paid && paid > first ? paid : first;
            return new DebitRequest(c.AgreementNumber, c.MonthlyFeeFen * cycle.Months(), due, c.Plate, c.AccountName, c.AccountNumber);
        }).ToList();
    }

    /// <summary>The month whose debits are due when none is named: the site's current month.</summary>
    public DateOnly CurrentMonth(DateTimeOffset now)
    {
        var today = _rules.Calendar.DateOf(now);
        return new DateOnly(today.Year, today.Month, 1);
    }

    // ---- payments ----

    /// <summary>Records a payment received at the front desk. <paramref name="receipt"/>, if given, is written with the change.</summary>
    public async Task<Outcome<PaymentView>> RecordPaymentAsync(Actor actor, NewPayment payment, CancellationToken cancellationToken, IChangeReceipt<PaymentView>? receipt = null)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var agreement = await ParkingStore.AgreementAsync(unit.Connection, unit.Transaction, payment.AgreementId, cancellationToken);
        if (agreement is null)
        {
            return Refusal.NotFound($"agreement {payment.AgreementId}");
        }

        if (agreement.EndedUtc is not null)
        {
            return Refusal.InvalidState($"agreement {agreement.AgreementNumber} has ended and takes no payments", "ended");
        }

        // Checked when the money is taken, not only at grant time: the clerk hears the amounts that would do before the receipt is written.
        ParkingNames.TryParseCycle(agreement.BillingCycle, out var cycle);
        if (!PeriodPricing.TryPrice(payment.AmountFen, agreement.MonthlyFeeFen, cycle, _rules.ProrationAllowed, out _, out var priced))
        {
            return Refused(priced);
        }

        if (await Cash.ReceiptBook.InUseAsync(unit, payment.ReceiptNumber, cancellationToken))
        {
            return Refusal.Conflict($"receipt number {payment.ReceiptNumber} is already recorded");
        }

        var id = await ParkingStore.InsertPaymentAsync(unit, payment, cancellationToken);
        unit.Audit("parking.payment.record", $"payment:{id}", new { payment.AgreementId, agreement.AgreementNumber, payment.AmountFen, Method = payment.Method.ToWire(), payment.ReceiptNumber });
        var view = (await ParkingStore.PaymentAsync(unit.Connection, unit.Transaction, id, cancellationToken))!;
        await CommitAsync(unit, receipt, view, cancellationToken);
        return view;
    }

    public async Task<PaymentView?> GetPaymentAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        return await ParkingStore.PaymentAsync(connection, null, id, cancellationToken);
    }

    public async Task<Page<PaymentView>> ListPaymentsAsync(long? agreementId, string? state, PageRequest page, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        return page.ToPage(await ParkingStore.ListPaymentsAsync(connection, agreementId, state, page.Limit + 1, page.After, cancellationToken), p => p.Id);
    }

    /// <summary>
    /// Grants the period payment <paramref name="paymentId"/> buys, in one transaction with its outbox
    /// marker and audit entry. <paramref name="receipt"/>, if given, is written with the change.
    /// </summary>
    /// <remarks>
    /// With <paramref name="shown"/> (the period a person was shown before confirming, from
    /// <see cref="PreviewGrantAsync"/>) the grant is refused, nothing written, when it would now buy
    /// another period (midnight passed, another payment of the agreement was granted or reversed meanwhile):
    /// <see cref="RefusalKind.Conflict"/> with code <c>grant-changed</c>.
    /// </remarks>
    public async Task<Outcome<GrantView>> GrantAsync(Actor actor, long paymentId, CancellationToken cancellationToken, IChangeReceipt<GrantView>? receipt = null, (DateOnly Start, DateOnly End)? shown = null)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var outcome = await GrantInAsync(unit, paymentId, cancellationToken);
        if (outcome.TryGetValue(out var grant, out _))
        {
            if (shown is { } s && (s.Start, s.End) != (grant.Period.Start, grant.Period.End))
            {
                return Refusal.Conflict($"payment {paymentId} would now buy {grant.Period.Start:yyyy-MM-dd} to {grant.Period.End:yyyy-MM-dd}, not the {s.Start:yyyy-MM-dd} to {s.End:yyyy-MM-dd} shown; look at it again", "grant-changed");
            }

            await CommitAsync(unit, receipt, grant, cancellationToken);
        }

        return outcome;
    }

    /// <summary>
    /// What granting payment <paramref name="paymentId"/> would do now, without doing it: the period it
    /// buys, whether it continues the chain, and the validity the car park's controllers would get. The
    /// grant itself computes it in a unit of work that is then rolled back (nothing is written, audited or
    /// marked), so what is shown and what a grant does cannot follow different rules.
    /// </summary>
    public async Task<Outcome<GrantView>> PreviewGrantAsync(Actor actor, long paymentId, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        return await GrantInAsync(unit, paymentId, cancellationToken);
    }

    /// <summary>
    /// Reverses a payment: a granted one loses its period and the later periods of its chain move
    /// earlier; a recorded one is simply marked reversed. Either way the card is marked for sync.
    /// </summary>
    public async Task<Outcome<ReversalView>> ReverseAsync(Actor actor, long paymentId, string reason, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var payment = await ParkingStore.PaymentAsync(unit.Connection, unit.Transaction, paymentId, cancellationToken);
        if (payment is null)
        {
            return Refusal.NotFound($"payment {paymentId}");
        }

        if (payment.State == "reversed")
        {
            return Refusal.InvalidState($"payment {paymentId} is already reversed", payment.State);
        }

        var cardNumber = await ParkingStore.CardOfAgreementAsync(unit, payment.AgreementId, cancellationToken);
        PeriodView? removed = null;
        var moved = new List<PeriodView>();
        ControllerValidity? validity = null;
        if (payment.State == "granted")
        {
            var entries = await ParkingStore.ChainAsync(unit, payment.AgreementId, cancellationToken);
            if (!PeriodChain.TryReverse(entries, paymentId, out var reversal, out var refusal))
            {
                return Refused(refusal);
            }

            removed = ToView(reversal.Removed);
            await ParkingStore.DeletePeriodAsync(unit, paymentId, cancellationToken);
            foreach (var period in reversal.Moved)
            {
                var view = ToView(period);
                moved.Add(view);
                await ParkingStore.MovePeriodAsync(unit, view, cancellationToken);
            }

            await ParkingStore.SetPaidUntilAsync(unit, payment.AgreementId, reversal.Periods.Count == 0 ? null : ToView(reversal.Periods[^1]), cancellationToken);
            validity = PeriodChain.Validity(reversal.Periods, _rules);
        }

        await ParkingStore.MarkReversedAsync(unit, paymentId, reason, cancellationToken);
        var sequence = await unit.MarkCardChangedAsync(cardNumber, "parking.reversal", cancellationToken);
        unit.Audit("parking.payment.reverse", $"payment:{paymentId}", new { payment.AgreementId, CardNumber = cardNumber, payment.AmountFen, WasState = payment.State, Reason = reason, Removed = removed, Moved = moved.Select(m => m.PaymentId).ToList() });
        var after = await ParkingStore.PaymentAsync(unit.Connection, unit.Transaction, paymentId, cancellationToken);
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
    public async Task<ImportReport> ImportBankResultsAsync(Actor actor, BankResultFile file, CancellationToken cancellationToken, BankFileEncoding? encoding = null)
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

            if (await ParkingStore.ImportedLineAsync(unit, line.Key, cancellationToken) is { } earlier)
            {
                results.Add(Report("duplicate", $"already imported (then: {earlier})"));
                continue;
            }

            if (await ParkingStore.AgreementByNumberAsync(unit, line.AgreementNumber, cancellationToken) is not { } agreement)
            {
                results.Add(Report("unmatched", $"no agreement numbered {line.AgreementNumber}"));
                continue;
            }

            if (agreement.PaymentMethod != "bank-debit")
            {
                results.Add(Report("unmatched", $"agreement {line.AgreementNumber} is paid by {agreement.PaymentMethod}, not bank debit"));
                continue;
            }

            if (line.Status == DebitStatus.Failed)
            {
                await ParkingStore.RememberLineAsync(unit, line, "failed", null, cancellationToken);
                changed = true;
                results.Add(Report("failed", line.Reason is null ? "the bank reports the debit failed" : $"the bank reports the debit failed: {line.Reason}"));
                continue;
            }

            if (agreement.Ended)
            {
                results.Add(Report("unmatched", $"agreement {line.AgreementNumber} has ended; the debit needs a refund, not a period"));
                continue;
            }

            var receipt = string.Create(CultureInfo.InvariantCulture, $"bank:{line.AgreementNumber}:{line.Date:yyyy-MM-dd}:{line.AmountFen}");
            if (await ParkingStore.ReceiptExistsAsync(unit, receipt, cancellationToken))
            {
                results.Add(Report("duplicate", $"a payment with receipt {receipt} is already recorded"));
                continue;
            }

            var paymentId = await ParkingStore.InsertPaymentAsync(unit, new NewPayment(agreement.Id, line.AmountFen, PaymentMethod.BankDebit, receipt), cancellationToken);
            unit.Audit("parking.payment.record", $"payment:{paymentId}", new { AgreementId = agreement.Id, line.AgreementNumber, line.AmountFen, Method = "bank-debit", ReceiptNumber = receipt, Line = line.LineNumber });
            changed = true;
            if (!(await GrantInAsync(unit, paymentId, cancellationToken)).TryGetValue(out var grant, out var refusal))
            {
                await ParkingStore.RememberLineAsync(unit, line, "recorded", paymentId, cancellationToken);
                results.Add(Report("refused", $"recorded as payment {paymentId} but not granted: {refusal.Detail}", paymentId));
                continue;
            }

            await ParkingStore.RememberLineAsync(unit, line, "granted", paymentId, cancellationToken);
            results.Add(Report("granted", $"period {grant.Period.Start:yyyy-MM-dd} to {grant.Period.End:yyyy-MM-dd}", paymentId, grant.Period));
        }

        results.Sort((a, b) => a.Line.CompareTo(b.Line));
        var counts = results.GroupBy(r => r.Outcome).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        if (changed)
        {
            unit.Audit("parking.bank-debit.import", "bank-debit", new { Lines = results.Count, Counts = counts, Encoding = encoding });
            await unit.CommitAsync(cancellationToken);
        }

        return new ImportReport(results.Count, counts, results, changed) { Encoding = encoding };
    }

    // ---- inside a unit ----

    private async Task<Outcome<GrantView>> GrantInAsync(UnitOfWork unit, long paymentId, CancellationToken cancellationToken)
    {
        if (await ParkingStore.GrantFactsAsync(unit, paymentId, cancellationToken) is not { } facts)
        {
            return Refusal.NotFound($"payment {paymentId}");
        }

        var payment = facts.Payment;
        if (payment.State != "recorded")
        {
            return Refusal.InvalidState($"payment {paymentId} is {payment.State}; only a recorded payment can be granted", payment.State);
        }

        if (facts.AgreementEnded)
        {
            return Refusal.InvalidState($"the agreement of payment {paymentId} has ended", "ended");
        }

        ParkingNames.TryParseCycle(facts.Cycle, out var cycle);
        if (!PeriodPricing.TryPrice(payment.AmountFen, facts.MonthlyFeeFen, cycle, _rules.ProrationAllowed, out var purchase, out var refusal))
        {
            return Refused(refusal);
        }

        var entries = await ParkingStore.ChainAsync(unit, payment.AgreementId, cancellationToken);
        if (!PeriodChain.TryGrant(entries, paymentId, purchase, unit.NowUtc, _rules, out var grant, out refusal))
        {
            return Refused(refusal);
        }

        var period = ToView(grant.Period);
        await ParkingStore.InsertGrantAsync(unit, payment.AgreementId, period, cancellationToken);
        var sequence = await unit.MarkCardChangedAsync(facts.CardNumber, "parking.grant", cancellationToken);
        unit.Audit("parking.payment.grant", $"payment:{paymentId}", new { payment.AgreementId, facts.CardNumber, payment.AmountFen, purchase.Months, purchase.Days, period.Start, period.End, grant.Extended });
        var validity = PeriodChain.Validity(PeriodChain.Layout([.. entries, grant.Period.Entry]), _rules)!;
        var granted = payment with { State = "granted", GrantedUtc = unit.NowUtc, GrantedBy = unit.Actor.OperatorId, Period = period };
        return new GrantView(granted, period, grant.Extended, validity, sequence);
    }

    private static async Task CommitAsync<T>(UnitOfWork unit, IChangeReceipt<T>? receipt, T result, CancellationToken cancellationToken)
    {
        if (receipt is not null)
        {
            await receipt.WriteAsync(unit, result, cancellationToken);
        }

        await unit.CommitAsync(cancellationToken);
    }

    private static Refusal Refused(ParkingRefusal refusal) => Refusal.Rule(refusal.Code, refusal.Detail) with
    {
        Facts = refusal.ValidAmountsFen.Count == 0 ? null : new Dictionary<string, object?> { ["validAmountsFen"] = refusal.ValidAmountsFen },
    };

    private PeriodView ToView(PaidPeriod period) => new(
        period.PaymentId,
        period.Start,
        period.End,
        _rules.Calendar.StartOf(period.Start),
        _rules.Calendar.StartOf(period.End),
        period.Months,
        period.Days,
        period.ChainStart);
}
