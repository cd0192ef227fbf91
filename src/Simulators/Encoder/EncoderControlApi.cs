using System.Net;
using Gateway.Drivers.CardEncoders.Layout;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Simulators.Encoder;

/// <summary>A card as the control API shows it.</summary>
public sealed record SimCardDto(string Uid, string Type, bool InField, bool Halted, int[] LockedSectors);

/// <summary>Body of POST /cards: a new blank card.</summary>
public sealed record NewCardRequest(string? Type, string? Uid);

/// <summary>Body of POST /tear.</summary>
public sealed record TearRequest(int AfterCommands);

/// <summary>Body of POST /faults.</summary>
public sealed record FaultRequest(int? ReplyDelayMilliseconds, bool? Stalled, int? StallAfterCommands = null, int? ReplyDelayEvery = null);

/// <summary>Body of PUT /cards/{uid}/blocks/{block}.</summary>
public sealed record BlockRequest(string Data);

/// <summary>
/// The simulator's loopback HTTP control API (docs/encoder.md): place, remove and swap cards, tear
/// a card away or stall the reader after the Nth card command, slow or stall replies, read or poke a card's memory.
/// </summary>
public static class EncoderControlApi
{
    /// <summary>Starts the API on <paramref name="url"/> (loopback only; port 0 picks a free port) and returns the bound URL.</summary>
    /// <exception cref="ArgumentException">The URL is not an http:// URL on a loopback address.</exception>
    public static async Task<(WebApplication App, Uri BoundUrl)> StartAsync(Uri url, Pn532Emulator emulator, CancellationToken cancellationToken)
    {
        if (url.Scheme != Uri.UriSchemeHttp || !IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) || !IPAddress.IsLoopback(address))
        {
            throw new ArgumentException($"--control must be http:// on a loopback address (127.0.0.1 or [::1]), not {url}");
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(address, url.Port));
        var app = builder.Build();
        Map(app, emulator);
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(bound));
    }

    private static void Map(WebApplication app, Pn532Emulator emulator)
    {
        SimCardDto Dto(VirtualMifareCard c, IReadOnlyList<VirtualMifareCard> field) =>
            new(Convert.ToHexString(c.Uid), c.Type == MifareClassicType.Classic1K ? "1k" : "4k", field.Contains(c), c.IsHalted, [.. c.LockedSectors.Order()]);

        app.MapGet("/cards", () =>
        {
            var field = emulator.InField();
            return Results.Ok(emulator.Known().Select(c => Dto(c, field)));
        });

        app.MapPost("/cards", (NewCardRequest request) =>
        {
            if (!TryParseType(request.Type, out var type))
            {
                return Results.BadRequest(new { error = "type must be 1k or 4k" });
            }

            byte[]? uid = null;
            if (request.Uid is not null && !TryParseUid(request.Uid, out uid))
            {
                return Results.BadRequest(new { error = "uid must be 4 or 7 bytes of hex" });
            }

            try
            {
                var card = emulator.PlaceNewCard(type, uid);
                return Results.Ok(Dto(card, emulator.InField()));
            }
            catch (ArgumentException ex)
            {
                return Results.Conflict(new { error = ex.Message });
            }
        });

        app.MapPost("/cards/{uid}/place", (string uid) => emulator.Place(uid) ? Results.NoContent() : Results.NotFound());
        app.MapPost("/cards/{uid}/remove", (string uid) => emulator.Remove(uid) ? Results.NoContent() : Results.NotFound());
        app.MapPost("/field/clear", () =>
        {
            emulator.RemoveAll();
            return Results.NoContent();
        });
        app.MapPost("/swap/{uid}", (string uid) =>
        {
            if (emulator.Find(uid) is null)
            {
                return Results.NotFound();
            }

            emulator.RemoveAll();
            emulator.Place(uid);
            return Results.NoContent();
        });

        app.MapGet("/cards/{uid}/memory", (string uid) =>
            emulator.Dump(uid) is { } blocks ? Results.Ok(new { uid, blocks = blocks.Select(Convert.ToHexString) }) : Results.NotFound());

        app.MapPut("/cards/{uid}/blocks/{block:int}", (string uid, int block, BlockRequest request) =>
        {
            byte[] data;
            try
            {
                data = Convert.FromHexString(request.Data);
            }
            catch (FormatException)
            {
                return Results.BadRequest(new { error = "data must be 16 bytes of hex" });
            }

            return emulator.Poke(uid, block, data) ? Results.NoContent() : Results.NotFound();
        });

        app.MapPost("/tear", (TearRequest request) =>
        {
            emulator.TearAfter(request.AfterCommands);
            return Results.NoContent();
        });

        app.MapPost("/faults", (FaultRequest request) =>
        {
            if (request.ReplyDelayMilliseconds is { } ms)
            {
                emulator.ReplyDelay = TimeSpan.FromMilliseconds(Math.Max(0, ms));
            }

            if (request.ReplyDelayEvery is { } every)
            {
                emulator.ReplyDelayEvery = Math.Max(1, every);
            }

            if (request.Stalled is { } stalled)
            {
                emulator.Stalled = stalled;
            }

            if (request.StallAfterCommands is { } after)
            {
                emulator.StallAfter(after);
            }

            return Results.NoContent();
        });

        app.MapGet("/stats", () => Results.Ok(new
        {
            commands = emulator.CommandCount,
            cardCommands = emulator.CardCommandCount,
            delayedReplies = emulator.DelayedReplyCount,
            timing = emulator.Timing.Enabled,
            wireMicroseconds = (long)emulator.ModelledWireTime.TotalMicroseconds,
            cardMicroseconds = (long)emulator.ModelledCardTime.TotalMicroseconds,
        }));
    }

    /// <summary>Parses 1k or 4k (null means 1k).</summary>
    public static bool TryParseType(string? text, out MifareClassicType type)
    {
        type = MifareClassicType.Classic1K;
        switch (text?.ToUpperInvariant())
        {
            case null or "1K":
                return true;
            case "4K":
                type = MifareClassicType.Classic4K;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Parses a 4- or 7-byte UID in hex.</summary>
    public static bool TryParseUid(string text, out byte[] uid)
    {
        uid = [];
        try
        {
            uid = Convert.FromHexString(text.Replace(":", string.Empty, StringComparison.Ordinal));
        }
        catch (FormatException)
        {
            return false;
        }

        return uid.Length is 4 or 7;
    }
}
