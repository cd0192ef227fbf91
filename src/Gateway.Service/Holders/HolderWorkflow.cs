using Gateway.Service.Domain;
using Gateway.Service.Domain.Holders;
using Gateway.Service.Storage;

namespace Gateway.Service.Holders;

/// <summary>A new holder, validated by the caller. Only the last four characters of an ID document ever reach here.</summary>
public sealed record NewHolder(string Name, UnitAddress Address, string? Phone, string? Email, string? IdLastFour);

/// <summary>The fields of a holder to change; null keeps the stored value.</summary>
public sealed record HolderChanges(string? Name = null, string? Building = null, string? Unit = null, string? Room = null, string? Phone = null, string? Email = null, string? IdLastFour = null);

/// <summary>
/// Cardholders: register, change, look up. A holder who moves to another building has every card of
/// theirs marked in the outbox, since the building decides which doors an access card opens.
/// </summary>
public sealed class HolderWorkflow
{
    private readonly UnitOfWorkFactory _writes;
    private readonly GatewayDatabase _database;

    public HolderWorkflow(UnitOfWorkFactory writes, GatewayDatabase database)
    {
        _writes = writes;
        _database = database;
    }

    public async Task<Outcome<Holder>> CreateAsync(Actor actor, NewHolder holder, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var created = await HolderStore.InsertAsync(unit, holder.Name, holder.Address, holder.Phone, holder.Email, holder.IdLastFour, cancellationToken);
        unit.Audit("holder.create", $"holder:{created.Id}", new { unit = created.Address.ToString(), idDocument = holder.IdLastFour is null ? null : IdDocument.Display(holder.IdLastFour) });
        await unit.CommitAsync(cancellationToken);
        return created;
    }

    /// <summary>Changes the fields given; a new address re-marks the holder's cards for the controllers.</summary>
    public async Task<Outcome<Holder>> UpdateAsync(Actor actor, long id, HolderChanges changes, CancellationToken cancellationToken)
    {
        await using var unit = await _writes.BeginAsync(actor, cancellationToken);
        var existing = await HolderStore.GetAsync(unit.Connection, unit.Transaction, id, cancellationToken);
        if (existing is null)
        {
            return Refusal.NotFound($"holder {id}");
        }

        var address = new UnitAddress(changes.Building ?? existing.Address.Building, changes.Unit ?? existing.Address.Unit, changes.Room ?? existing.Address.Room);
        var holder = await HolderStore.UpdateAsync(unit, id, changes.Name ?? existing.Name, address, changes.Phone ?? existing.Phone, changes.Email ?? existing.Email, changes.IdLastFour ?? existing.IdLastFour, cancellationToken);
        unit.Audit("holder.update", $"holder:{id}", new
        {
            changed = new[]
            {
                changes.Name is null ? null : "name",
                (changes.Building ?? changes.Unit ?? changes.Room) is null ? null : "unit",
                changes.Phone is null ? null : "phone",
                changes.Email is null ? null : "email",
                changes.IdLastFour is null ? null : "idDocument",
            }.Where(c => c is not null),
        });
        if (!existing.Address.Equals(address))
        {
            // The holder's building decides which doors their access cards open.
            foreach (var card in await HolderStore.CardNumbersAsync(unit, id, cancellationToken))
            {
                await unit.MarkCardChangedAsync(card, "holder-moved", cancellationToken);
            }
        }

        await unit.CommitAsync(cancellationToken);
        return holder;
    }

    public async Task<Holder?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        return await HolderStore.GetAsync(connection, null, id, cancellationToken);
    }

    /// <summary>Holders by name, unit, phone, plate or card number (<see cref="HolderStore.SearchAsync"/>); at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<Holder>> SearchAsync(string text, int limit, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        return await HolderStore.SearchAsync(connection, text.Trim(), limit, cancellationToken);
    }

    public async Task<Page<Holder>> ListAsync(HolderFilter filter, PageRequest page, CancellationToken cancellationToken)
    {
        await using var connection = _database.OpenConnection();
        var rows = await HolderStore.ListAsync(connection, filter, page.After, page.Limit + 1, cancellationToken);
        return page.ToPage(rows, h => h.Id);
    }
}
