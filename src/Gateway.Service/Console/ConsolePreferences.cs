using System.Collections.Concurrent;
using Gateway.Service.Storage;

namespace Gateway.Service.Console;

/// <summary>
/// Each operator's console language (<c>console_preferences</c>), read at every request of a signed-in
/// operator and so kept in memory once read; a change is written (and audited) first.
/// </summary>
public sealed class ConsolePreferences
{
    private readonly GatewayDatabase _database;
    private readonly UnitOfWorkFactory _writes;
    private readonly ConcurrentDictionary<string, string?> _languages = new(StringComparer.Ordinal);

    public ConsolePreferences(GatewayDatabase database, UnitOfWorkFactory writes)
    {
        _database = database;
        _writes = writes;
    }

    /// <summary>The operator's language, or null when they never chose one (the console's default applies).</summary>
    public async ValueTask<string?> LanguageAsync(string operatorId, CancellationToken cancellationToken)
    {
        if (_languages.TryGetValue(operatorId, out var known))
        {
            return known;
        }

        await using var connection = _database.OpenConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT language FROM console_preferences WHERE operator_id = $id";
        command.Parameters.AddWithValue("$id", operatorId);
        var language = await command.ExecuteScalarAsync(cancellationToken) as string;
        _languages[operatorId] = language;
        return language;
    }

    /// <summary>Keeps <paramref name="language"/> (<see cref="ConsoleLanguage.All"/>) as the operator's.</summary>
    public async Task SetLanguageAsync(Actor actor, string language, CancellationToken cancellationToken)
    {
        if (!ConsoleLanguage.IsKnown(language))
        {
            throw new ArgumentOutOfRangeException(nameof(language), language, "not a console language");
        }

        await using (var unit = await _writes.BeginAsync(actor, cancellationToken))
        {
            await using (var upsert = unit.Command("""
                INSERT INTO console_preferences(operator_id, language, updated_utc) VALUES ($id, $language, $now)
                ON CONFLICT(operator_id) DO UPDATE SET language = excluded.language, updated_utc = excluded.updated_utc
                """))
            {
                upsert.Parameters.AddWithValue("$id", actor.OperatorId);
                upsert.Parameters.AddWithValue("$language", language);
                upsert.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }

            unit.Audit("operator.console-language", "operator:" + actor.OperatorId, new { language });
            await unit.CommitAsync(cancellationToken);
        }

        _languages[actor.OperatorId] = language;
    }
}
