using Gateway.Service.Domain.Parking;

namespace Gateway.Service.Parking;

/// <summary>A new agreement, validated by the caller.</summary>
public sealed record NewAgreement(string AgreementNumber, long HolderId, long CardNumber, string Plate, string Space, long MonthlyFeeFen, BillingCycle Cycle, PaymentMethod Method, string SignedCopyRef);

/// <summary>A payment the front desk records, validated by the caller.</summary>
public sealed record NewPayment(long AgreementId, long AmountFen, PaymentMethod Method, string ReceiptNumber);

/// <summary>A paid period as stored and served: local dates and their UTC instants.</summary>
public sealed record PeriodView(long PaymentId, DateOnly Start, DateOnly End, DateTimeOffset StartUtc, DateTimeOffset EndUtc, int Months, int Days, DateOnly ChainStart);

/// <summary>An agreement as served. <see cref="Periods"/> and <see cref="Validity"/> are filled for a single agreement only.</summary>
public sealed record AgreementView(
    long Id,
    string AgreementNumber,
    long HolderId,
    long CardNumber,
    string Plate,
    string Space,
    long MonthlyFeeFen,
    string BillingCycle,
    string PaymentMethod,
    string SignedCopyRef,
    string State,
    DateTimeOffset CreatedUtc,
    string CreatedBy,
    DateTimeOffset? EndedUtc,
    string? EndReason,
    DateOnly? PaidUntil,
    DateTimeOffset? PaidUntilUtc)
{
    public IReadOnlyList<PeriodView>? Periods { get; init; }

    public ControllerValidity? Validity { get; init; }
}

/// <summary>A payment as served, with the period it bought once granted.</summary>
public sealed record PaymentView(
    long Id,
    long AgreementId,
    long AmountFen,
    string Method,
    string ReceiptNumber,
    string State,
    DateTimeOffset RecordedUtc,
    string RecordedBy,
    DateTimeOffset? GrantedUtc,
    string? GrantedBy,
    DateTimeOffset? ReversedUtc,
    string? ReversedBy,
    string? ReversalReason,
    PeriodView? Period);

/// <summary>What a grant did.</summary>
public sealed record GrantView(PaymentView Payment, PeriodView Period, bool Extended, ControllerValidity Validity, long OutboxSequence);

/// <summary>What a reversal did: the payment, the period it lost (if it had one) and the periods that moved earlier.</summary>
public sealed record ReversalView(PaymentView Payment, PeriodView? Removed, IReadOnlyList<PeriodView> Moved, ControllerValidity? Validity, long OutboxSequence);

/// <summary>An agreement whose paid period ends soon.</summary>
public sealed record ExpiringView(long AgreementId, string AgreementNumber, long HolderId, long CardNumber, string Plate, string Space, string PaymentMethod, DateOnly PaidUntil, DateTimeOffset PaidUntilUtc, int DaysLeft);

/// <summary>Filters of the agreement list.</summary>
public sealed record AgreementFilter(string? Plate, long? HolderId, long? CardNumber, string? AgreementNumber, string? State, string? Space);

/// <summary>One line of a bank-result import, as reported back.</summary>
public sealed record ImportLineView(int Line, string? AgreementNumber, long? AmountFen, DateOnly? Date, string Outcome, string Detail, long? PaymentId, PeriodView? Period);

/// <summary>The import report: every line of the file, and counts by outcome.</summary>
public sealed record ImportReport(int Lines, IReadOnlyDictionary<string, int> Counts, IReadOnlyList<ImportLineView> Results, bool Changed);
