namespace Gateway.Service.Storage;

/// <summary>
/// Something a caller keeps durable together with a change: a workflow that accepts one writes it in the
/// change's own unit of work, with the change's result, just before the unit commits; if the change does
/// not commit, neither does the receipt. The API stores an <c>Idempotency-Key</c>'s response this way, so
/// a replay can never disagree with what was committed and a grant costs one durable write, not two.
/// </summary>
/// <typeparam name="T">The change's result.</typeparam>
public interface IChangeReceipt<in T>
{
    Task WriteAsync(UnitOfWork unit, T result, CancellationToken cancellationToken);
}
