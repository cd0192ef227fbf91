using Gateway.Service.Domain.Parking;

namespace Gateway.Service.Parking;

/// <summary>A new agreement, validated by the caller; a bank-debit agreement carries the account debited.</summary>
public sealed record NewAgreement(string AgreementNumber, long HolderId, long CardNumber, string Plate, string Space, long MonthlyFeeFen, BillingCycle Cycle, PaymentMethod Method, string SignedCopyRef, BankAccount? BankAccount = null);

/// <summary>What changes on an agreement: each field given replaces the stored one (null: unchanged).</summary>
public sealed record AgreementChange(long? CardNumber = null, string? Plate = null, string? Space = null, BankAccount? BankAccount = null)
{
    public bool IsEmpty => CardNumber is null && Plate is null && Space is null && BankAccount is null;
}

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
    /// <summary>The holder's name, beside <see cref="HolderId"/>.</summary>
    public string? HolderName { get; init; }

    /// <summary>The name of the account debited (bank-debit agreements).</summary>
    public string? BankAccountName { get; init; }

    /// <summary>The account debited, masked (<c>****3445</c>); the full number leaves only in the debit export.</summary>
    public string? BankAccount { get; init; }

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
    PeriodView? Period)
{
    /// <summary>The agreement's number, beside <see cref="AgreementId"/>.</summary>
    public string? AgreementNumber { get; init; }

    public long? HolderId { get; init; }

    /// <summary>The holder's name, beside <see cref="HolderId"/>.</summary>
    public string? HolderName { get; init; }
}

/// <summary>What a grant did.</summary>
public sealed record GrantView(PaymentView Payment, PeriodView Period, bool Extended, ControllerValidity Validity, long OutboxSequence);

/// <summary>What a reversal did: the payment, the period it lost (if it had one) and the periods that moved earlier.</summary>
public sealed record ReversalView(PaymentView Payment, PeriodView? Removed, IReadOnlyList<PeriodView> Moved, ControllerValidity? Validity, long OutboxSequence);

/// <summary>An agreement whose paid period ends soon.</summary>
public sealed record ExpiringView(long AgreementId, string AgreementNumber, long HolderId, string? HolderName, long CardNumber, string Plate, string Space, string PaymentMethod, DateOnly PaidUntil, DateTimeOffset PaidUntilUtc, int DaysLeft);

/// <summary>
/// An active agreement whose paid period has lapsed: <see cref="PaidUntil"/> is past (or null: never
/// paid), <see cref="DaysOverdue"/> counted in site dates from it (or from the agreement's creation),
/// with the holder's name and phone and the last payment not reversed.
/// </summary>
public sealed record OverdueView(long AgreementId, string AgreementNumber, long HolderId, string? HolderName, string? Phone, long CardNumber, string Plate, string Space, string PaymentMethod, DateOnly? PaidUntil, DateTimeOffset? PaidUntilUtc, int DaysOverdue, long? LastPaymentFen, DateTimeOffset? LastPaymentUtc);

/// <summary>What a change of an agreement did: the agreement as it is now and the fields changed.</summary>
public sealed record AgreementChangeView(AgreementView Agreement, IReadOnlyList<string> Changed, long? OutboxSequence);

/// <summary>
/// Filters of the agreement list. <see cref="Text"/> finds what a person typed in one box: part of a
/// plate (spaces and case ignored), of a space or of the holder's name, or a whole card or agreement number.
/// </summary>
public sealed record AgreementFilter(string? Plate, long? HolderId, long? CardNumber, string? AgreementNumber, string? State, string? Space, string? Text = null);

/// <summary>One line of a bank-result import, as reported back.</summary>
public sealed record ImportLineView(int Line, string? AgreementNumber, long? AmountFen, DateOnly? Date, string Outcome, string Detail, long? PaymentId, PeriodView? Period);

/// <summary>The import report: every line of the file, and counts by outcome; <see cref="Encoding"/> says how the file's bytes were read.</summary>
public sealed record ImportReport(int Lines, IReadOnlyDictionary<string, int> Counts, IReadOnlyList<ImportLineView> Results, bool Changed)
{
    public BankFileEncoding? Encoding { get; init; }
}
