using Gateway.Service.Api;
using Gateway.Service.Events;
using Gateway.Service.Storage;

namespace Gateway.Service.Console.Pages.Gates;

/// <summary>The recent events the gates page shows and refreshes: the newest that match the filters typed (card, holder, plate, controller, decision).</summary>
public sealed record EventList(string? Card, string? Holder, string? Plate, string? Controller, string? Decision, IReadOnlyList<ControllerEventView> Items)
{
    public const int Shown = 50;

    private static readonly string[] Decisions = ["granted", "denied"];

    /// <summary>The query string of these filters, for the fragment's refresh.</summary>
    public string Query => string.Join('&', new[] { ("card", Card), ("holder", Holder), ("plate", Plate), ("controller", Controller), ("decision", Decision) }
        .Where(p => p.Item2 is not null).Select(p => p.Item1 + "=" + Uri.EscapeDataString(p.Item2!)));

    /// <summary>Reads the newest events matching the filters; a filter that does not parse is ignored (the page shows what it understood).</summary>
    public static async Task<EventList> ReadAsync(EventStore events, string? card, string? holder, string? plate, string? controller, string? decision, CancellationToken cancellationToken)
    {
        card = Blank(card);
        holder = Blank(holder);
        plate = Blank(plate)?.ToUpperInvariant();
        controller = Blank(controller);
        decision = Decisions.Contains(decision) ? decision : null;
        long? cardNumber = long.TryParse(card, out var c) && c is >= 1 and <= 99_999_999 ? c : null;
        long? holderId = long.TryParse(holder, out var h) && h >= 1 ? h : null;
        var filter = new EventFilter(cardNumber, null, holderId, plate, controller, decision);
        var page = await events.ListAsync(filter, new PageRequest(Shown, 0), cancellationToken, newestFirst: true);
        return new EventList(cardNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture), holderId?.ToString(System.Globalization.CultureInfo.InvariantCulture), plate, controller, decision, page.Items);
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
