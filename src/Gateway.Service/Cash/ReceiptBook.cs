using Gateway.Service.Storage;

namespace Gateway.Service.Cash;

/// <summary>
/// The desk's receipt book: every amount taken or paid back is written on a numbered receipt, and a
/// number is used by one operation only (a parking payment, or the fees and deposit of one card issue,
/// replacement or hand-back), so that finance can reconcile the cash report with the book.
/// </summary>
public static class ReceiptBook
{
    /// <summary>Whether receipt number <paramref name="receiptNumber"/> is already recorded, by a parking payment or a card charge.</summary>
    public static async Task<bool> InUseAsync(UnitOfWork unit, string receiptNumber, CancellationToken cancellationToken)
    {
        await using var check = unit.Command("""
            SELECT EXISTS (SELECT 1 FROM parking_payments WHERE receipt_number = $receipt)
                OR EXISTS (SELECT 1 FROM card_charges WHERE receipt_number = $receipt)
            """);
        check.Parameters.AddWithValue("$receipt", receiptNumber);
        return Convert.ToInt64(await check.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) != 0;
    }
}
