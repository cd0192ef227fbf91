using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Service.Tests.Api.Parking;

/// <summary>Helpers shared by the parking API tests: a live host on a real file, a fake clock, and seeded holders and cards.</summary>
internal static class ParkingApi
{
    /// <summary>10:00 on 31 January 2026 in Shanghai.</summary>
    public static readonly DateTimeOffset Start = new(2026, 1, 31, 2, 0, 0, TimeSpan.Zero);

    public static async Task<(ApiTestHost Host, FakeTimeProvider Clock)> StartAsync(int graceDays = 0, bool proration = false, Action<IServiceCollection>? services = null)
    {
        var clock = new FakeTimeProvider(Start);
        var host = await ApiTestHost.StartAsync(
            services,
            configuration: new Dictionary<string, string?>
            {
                ["Gateway:Parking:GraceDays"] = graceDays.ToString(CultureInfo.InvariantCulture),
                ["Gateway:Parking:ProrationAllowed"] = proration ? "true" : "false",
            },
            time: clock);
        return (host, clock);
    }

    private static long _nextCard = 100_000;

    /// <summary>Inserts a holder and a parking card issued to them (straight into the front office's tables); returns the holder id and card number.</summary>
    public static (long HolderId, long CardNumber) SeedHolderAndCard(ApiTestHost host, string kind = "parking", string state = "issued")
    {
        var number = Interlocked.Increment(ref _nextCard);
        using var connection = host.Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO holders(name, building, unit, room, created_utc, updated_utc) VALUES ('Resident ' || $n, '3', '2', '1201', $at, $at);
            INSERT INTO cards(number, state, holder_id, kind, received_utc, updated_utc) VALUES ($n, $state, last_insert_rowid(), $kind, $at, $at);
            SELECT holder_id FROM cards WHERE number = $n;
            """;
        command.Parameters.AddWithValue("$n", number);
        command.Parameters.AddWithValue("$kind", kind);
        command.Parameters.AddWithValue("$state", state);
        command.Parameters.AddWithValue("$at", Gateway.Service.Storage.UnitOfWork.Timestamp(Start));
        return ((long)command.ExecuteScalar()!, number);
    }

    /// <summary>The account every bank-debit agreement of these tests is debited from.</summary>
    public const string AccountNumber = "6222020200112233445";

    public static object AgreementBody(string number, long holderId, long cardNumber, string cycle = "month", string method = "cash", long fee = 30000, string? space = null, string plate = "沪A12345")
    {
        var body = new Dictionary<string, object?>
        {
            ["agreementNumber"] = number,
            ["holderId"] = holderId,
            ["cardNumber"] = cardNumber,
            ["plate"] = plate,
            ["space"] = space ?? "B1-" + number,
            ["monthlyFeeFen"] = fee,
            ["billingCycle"] = cycle,
            ["paymentMethod"] = method,
            ["signedCopyRef"] = "archive/2026/" + number + ".pdf",
        };
        if (method == "bank-debit")
        {
            body["bankAccountName"] = "李伟";
            body["bankAccountNumber"] = AccountNumber;
        }

        return body;
    }

    public static async Task<JsonElement> CreateAgreementAsync(ApiTestHost host, string number, string cycle = "month", string method = "cash", long fee = 30000)
    {
        var (holder, card) = SeedHolderAndCard(host);
        var response = await host.Client.PostAsync("api/parking/agreements", ApiTestHost.Json(AgreementBody(number, holder, card, cycle, method, fee)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ApiTestHost.ReadJsonAsync(response);
    }

    public static async Task<HttpResponseMessage> PostWithKeyAsync(HttpClient client, string path, HttpContent? content, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add("Idempotency-Key", key);
        return await client.SendAsync(request);
    }

    public static async Task<long> RecordPaymentAsync(ApiTestHost host, long agreementId, long amount, string receipt)
    {
        var response = await PostWithKeyAsync(host.Client, $"api/parking/agreements/{agreementId}/payments", ApiTestHost.Json(new { amountFen = amount, method = "cash", receiptNumber = receipt }), "pay-" + receipt);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await ApiTestHost.ReadJsonAsync(response)).GetProperty("id").GetInt64();
    }

    /// <summary>
    /// A payment left recorded by an earlier version or while the site allowed proration (the desk now
    /// refuses amounts the rules refuse), written straight into the table; returns its id.
    /// </summary>
    public static long SeedRecordedPayment(ApiTestHost host, long agreementId, long amount, string receipt)
    {
        using var connection = host.Database.OpenConnection();
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO parking_payments(agreement_id, amount_fen, method, receipt_number, state, recorded_utc, recorded_by) VALUES ($a, $amount, 'cash', $receipt, 'recorded', $at, 'desk') RETURNING id";
        insert.Parameters.AddWithValue("$a", agreementId);
        insert.Parameters.AddWithValue("$amount", amount);
        insert.Parameters.AddWithValue("$receipt", receipt);
        insert.Parameters.AddWithValue("$at", Gateway.Service.Storage.UnitOfWork.Timestamp(Start));
        return (long)insert.ExecuteScalar()!;
    }

    public static async Task<JsonElement> GrantAsync(ApiTestHost host, long paymentId)
    {
        var response = await PostWithKeyAsync(host.Client, $"api/parking/payments/{paymentId}/grant", null, "grant-" + paymentId);
        var body = await ApiTestHost.ReadJsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        return body;
    }

    public static async Task<JsonElement> GetAsync(ApiTestHost host, string path)
    {
        var response = await host.Client.GetAsync(path);
        var body = await ApiTestHost.ReadJsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        return body;
    }

    public static string Date(JsonElement element, string property) => element.GetProperty(property).GetString()!;

    public static HttpContent Csv(string text) => new StringContent(text, System.Text.Encoding.UTF8, "text/csv");

    public static Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string path, object body) => client.PostAsJsonAsync(path, body);
}
