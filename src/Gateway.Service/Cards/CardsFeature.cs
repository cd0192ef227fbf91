using Gateway.Drivers.CardEncoders;
using Gateway.Service.Cards.Encoders;
using Gateway.Service.Domain.Cards;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Service.Cards;

/// <summary>
/// Cards (<c>Gateway:CardKeys:*</c>, <c>Gateway:CardFees:*</c>): the encoder port with its SQLite write journal,
/// the card workflow, the recovery of interrupted issues at start, and <c>/api/cards</c>.
/// The composition root (<c>GatewayComposition</c>) calls <see cref="AddCards"/> and <see cref="MapCards"/>; nothing else registers this feature.
/// </summary>
public static class CardsFeature
{
    public static IServiceCollection AddCards(this IServiceCollection services, CardEncoderOptions encoders, CardFeeSchedule fees)
    {
        services.AddSingleton(encoders);
        // Tried, so a test host may put a fake encoder in first.
        services.TryAddSingleton<ICardWriteJournal, SqliteCardWriteJournal>();
        services.TryAddSingleton<ICardEncoderPort, DriverEncoderPort>();
        services.AddSingleton(fees);
        services.AddSingleton<CardWorkflow>();
        // A hosted service: registered after the operators' start-up (which loads the audit key) and before the
        // sync engine, so interrupted issues are settled before any controller is written.
        services.AddSingleton<IssueRecovery>();
        services.AddHostedService(sp => sp.GetRequiredService<IssueRecovery>());
        return services;
    }

    public static RouteGroupBuilder MapCards(this RouteGroupBuilder api)
    {
        api.MapCardEndpoints();
        return api;
    }
}
