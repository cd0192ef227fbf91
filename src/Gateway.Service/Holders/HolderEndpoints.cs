using Gateway.Service.Api;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Storage;

namespace Gateway.Service.Holders;

/// <summary><c>/api/holders</c>: cardholders, their unit and contacts. The ID-document number is taken, masked to its last 4 characters and dropped.</summary>
public static class HolderEndpoints
{
    public const int MaxName = HolderInput.MaxName;

    public static void MapHolderEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/holders").WithTags("Holders");

        group.MapPost("/", CreateAsync)
            .RequireAuthorization(GatewayPolicies.FrontDesk)
            .WithName("CreateHolder")
            .WithSummary("Register a cardholder of a unit");

        group.MapPatch("/{id}", UpdateAsync)
            .RequireAuthorization(GatewayPolicies.FrontDesk)
            .WithName("UpdateHolder")
            .WithSummary("Change a holder's name, unit, contacts or ID-document number (fields sent replace the stored ones)");

        group.MapGet("/", ListAsync)
            .RequireAuthorization(GatewayPolicies.ReadOperational)
            .WithName("ListHolders")
            .WithSummary("Holders by id; filters: unit (building-unit-room), building, name (contains)");

        group.MapGet("/{id}", GetAsync)
            .RequireAuthorization(GatewayPolicies.ReadOperational)
            .WithName("GetHolder")
            .WithSummary("One holder");
    }

    /// <summary>A holder's fields. Create needs name, building, unit and room; update takes any subset.</summary>
    public sealed record HolderRequest(string? Name, string? Building, string? Unit, string? Room, string? Phone, string? Email, string? IdDocumentNumber);

    public sealed record AddressResponse(string Building, string Unit, string Room);

    /// <summary>A holder as the API shows it; <c>idDocument</c> is masked (<c>****123X</c>).</summary>
    public sealed record HolderResponse(long Id, string Name, string UnitAddress, AddressResponse Address, string? Phone, string? Email, string? IdDocument, DateTimeOffset Created, DateTimeOffset Updated)
    {
        public static HolderResponse From(Holder h) => new(
            h.Id,
            h.Name,
            h.Address.ToString(),
            new AddressResponse(h.Address.Building, h.Address.Unit, h.Address.Room),
            h.Phone,
            h.Email,
            h.IdLastFour is null ? null : Domain.Holders.IdDocument.Display(h.IdLastFour),
            h.CreatedUtc,
            h.UpdatedUtc);
    }

    private static async Task<IResult> CreateAsync(HolderRequest body, HttpContext context, HolderWorkflow holders, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var fields = HolderInput.Validate(v, Form(body), required: true);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var outcome = await holders.CreateAsync(context.User.ToActor(), fields.ToNew(), cancellationToken);
        return outcome.TryGetValue(out var holder, out var refusal)
            ? TypedResults.Created($"/api/holders/{holder.Id}", HolderResponse.From(holder))
            : refusal.ToProblem();
    }

    private static async Task<IResult> UpdateAsync(long id, HolderRequest body, HttpContext context, HolderWorkflow holders, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var fields = HolderInput.Validate(v, Form(body), required: false);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var outcome = await holders.UpdateAsync(context.User.ToActor(), id, fields.ToChanges(), cancellationToken);
        return outcome.TryGetValue(out var holder, out var refusal) ? TypedResults.Ok(HolderResponse.From(holder)) : refusal.ToProblem();
    }

    private static async Task<IResult> ListAsync(HolderWorkflow holders, string? unit, string? building, string? name, int? limit, long? after, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var page = v.Page(limit, after);
        UnitAddress? address = null;
        if (unit is not null && !UnitAddress.TryParse(unit, out address))
        {
            v.Add("unit", "must be building-unit-room, e.g. 3-2-1201");
        }

        if (building is not null && !UnitAddress.IsValidPart(building))
        {
            v.Add("building", "must be 1-16 letters or digits");
        }

        var nameFilter = v.Text("name", name, MaxName, required: false);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var filter = new HolderFilter(address?.Building ?? building, address?.Unit, address?.Room, nameFilter);
        return TypedResults.Ok((await holders.ListAsync(filter, page, cancellationToken)).Select(HolderResponse.From));
    }

    private static async Task<IResult> GetAsync(long id, HolderWorkflow holders, CancellationToken cancellationToken) =>
        await holders.GetAsync(id, cancellationToken) is { } holder ? TypedResults.Ok(HolderResponse.From(holder)) : ApiProblems.NotFound($"holder {id}");

    private static HolderForm Form(HolderRequest body) => new(body.Name, body.Building, body.Unit, body.Room, body.Phone, body.Email, body.IdDocumentNumber);
}
