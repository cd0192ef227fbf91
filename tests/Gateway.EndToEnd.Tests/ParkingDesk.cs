using System.Globalization;
using System.Text.Json;

namespace Gateway.EndToEnd.Tests;

/// <summary>A running service that gatewayctl can be pointed at: the demo or a site the test configured.</summary>
public interface ICtlSite
{
    /// <summary>gatewayctl's environment for this site (server, token, credentials file).</summary>
    IDictionary<string, string?> CtlEnvironment { get; }

    /// <summary>Runs <c>gatewayctl args...</c>; fails the test on a non-zero exit. Returns standard output.</summary>
    Task<string> CtlAsync(params string[] args);
}

/// <summary>The desk's steps of a parking card, each through gatewayctl as a clerk and the authorizer take them.</summary>
public static class ParkingDesk
{
    /// <summary>
    /// Adds a holder in <paramref name="unit"/>, places a blank card on the encoder behind
    /// <paramref name="encoderControl"/>, issues it as card <paramref name="number"/> of <paramref name="kind"/>,
    /// and returns the holder id and the card's UID.
    /// </summary>
    public static async Task<(long Holder, string Uid)> IssueAsync(this ICtlSite site, string encoderControl, string name, string unit, long number, string kind)
    {
        using var holder = JsonDocument.Parse(await site.CtlAsync("holders", "add", "--name", name, "--unit", unit, "--json"));
        var holderId = holder.RootElement.GetProperty("id").GetInt64();
        var card = Number(number);
        var blank = await DemoControl.PlaceBlankCardAsync(encoderControl);
        string[] issue = ["cards", "issue", card, "--holder", Number(holderId), "--kind", kind, "--receipt", "R-" + card];
        await DemoControl.RunResumingAsync(RepoPaths.Cli, issue, site.CtlEnvironment, "gatewayctl " + string.Join(' ', issue));
        using var shown = JsonDocument.Parse(await site.CtlAsync("cards", "show", card, "--json"));
        var uid = shown.RootElement.GetProperty("uid").GetString()!;
        Assert.Equal(blank, uid);
        return (holderId, uid);
    }

    /// <summary>Signs a monthly agreement (300.00 a month, cash) for the card, records <paramref name="amountFen"/> and grants it; returns the grant as gatewayctl printed it.</summary>
    public static async Task<JsonElement> PayAndGrantAsync(this ICtlSite site, long holder, long card, string space, long amountFen)
    {
        var number = "P-" + Number(card);
        using var agreement = JsonDocument.Parse(await site.CtlAsync(
            "parking", "agreements", "create", "--number", number, "--holder", Number(holder), "--card", Number(card),
            "--plate", string.Create(CultureInfo.InvariantCulture, $"沪B{card % 100_000:D5}"), "--space", space, "--fee-fen", "30000", "--cycle", "month", "--method", "cash", "--signed-copy", $"archive/{number}.pdf", "--json"));
        using var payment = JsonDocument.Parse(await site.CtlAsync(
            "parking", "payments", "record", Number(agreement.RootElement.GetProperty("id").GetInt64()), "--amount-fen", Number(amountFen), "--receipt", "R-" + number, "--json"));
        using var grant = JsonDocument.Parse(await site.CtlAsync("parking", "grant", Number(payment.RootElement.GetProperty("id").GetInt64()), "--json"));
        return grant.RootElement.Clone();
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
