using System.Globalization;
using System.Text;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Parking;

namespace Gateway.Service.Parking;

/// <summary>
/// The parking lists as CSV for the desk's spreadsheet (RFC 4180, written with a byte-order mark by
/// <see cref="Api.CsvResults"/>): amounts in yuan, dates and times in the site's zone.
/// </summary>
public static class ParkingCsv
{
    public static string Expiring(IEnumerable<ExpiringView> rows)
    {
        var csv = new StringBuilder(Csv.Line("agreement_id", "agreement_number", "holder_id", "holder_name", "card_number", "plate", "space", "payment_method", "paid_until", "days_left"));
        foreach (var r in rows)
        {
            csv.Append(Csv.Line(N(r.AgreementId), Csv.Field(r.AgreementNumber), N(r.HolderId), Csv.Field(r.HolderName), N(r.CardNumber), Csv.Field(r.Plate), Csv.Field(r.Space), r.PaymentMethod, Date(r.PaidUntil), N(r.DaysLeft)));
        }

        return csv.ToString();
    }

    public static string Overdue(IEnumerable<OverdueView> rows, SiteCalendar calendar)
    {
        var csv = new StringBuilder(Csv.Line("agreement_id", "agreement_number", "holder_id", "holder_name", "phone", "card_number", "plate", "space", "payment_method", "paid_until", "days_overdue", "last_payment_yuan", "last_payment_at"));
        foreach (var r in rows)
        {
            csv.Append(Csv.Line(
                N(r.AgreementId),
                Csv.Field(r.AgreementNumber),
                N(r.HolderId),
                Csv.Field(r.HolderName),
                Csv.Field(r.Phone),
                N(r.CardNumber),
                Csv.Field(r.Plate),
                Csv.Field(r.Space),
                r.PaymentMethod,
                r.PaidUntil is { } paid ? Date(paid) : string.Empty,
                N(r.DaysOverdue),
                r.LastPaymentFen is { } fen ? Money.Yuan(fen) : string.Empty,
                r.LastPaymentUtc is { } at ? LocalTime(at, calendar) : string.Empty));
        }

        return csv.ToString();
    }

    /// <summary>An instant as the site's local time, <c>yyyy-MM-dd HH:mm</c>.</summary>
    public static string LocalTime(DateTimeOffset instant, SiteCalendar calendar) =>
        TimeZoneInfo.ConvertTime(instant, calendar.TimeZone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);
}
