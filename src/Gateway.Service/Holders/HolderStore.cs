using Gateway.Service.Domain.Holders;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Service.Holders;

/// <summary>Filters of the holder list; null = any.</summary>
public sealed record HolderFilter(string? Building = null, string? Unit = null, string? Room = null, string? NameContains = null);

/// <summary>The <c>holders</c> table. Writes go through a <see cref="UnitOfWork"/>.</summary>
public static class HolderStore
{
    private const string Columns = "id, name, building, unit, room, phone, email, id_last4, created_utc, updated_utc";

    public static async Task<Holder> InsertAsync(UnitOfWork unit, string name, UnitAddress address, string? phone, string? email, string? idLastFour, CancellationToken cancellationToken)
    {
        await using var command = unit.Command($"""
            INSERT INTO holders(name, building, unit, room, phone, email, id_last4, created_utc, updated_utc)
            VALUES ($name, $building, $unit, $room, $phone, $email, $last4, $now, $now) RETURNING {Columns}
            """);
        Bind(command, name, address, phone, email, idLastFour);
        command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return Read(reader);
    }

    public static async Task<Holder> UpdateAsync(UnitOfWork unit, long id, string name, UnitAddress address, string? phone, string? email, string? idLastFour, CancellationToken cancellationToken)
    {
        await using var command = unit.Command($"""
            UPDATE holders SET name = $name, building = $building, unit = $unit, room = $room, phone = $phone, email = $email, id_last4 = $last4, updated_utc = $now
            WHERE id = $id RETURNING {Columns}
            """);
        Bind(command, name, address, phone, email, idLastFour);
        command.Parameters.AddWithValue("$now", UnitOfWork.Timestamp(unit.NowUtc));
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return Read(reader);
    }

    public static async Task<Holder?> GetAsync(SqliteConnection connection, SqliteTransaction? transaction, long id, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {Columns} FROM holders WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Up to <paramref name="take"/> holders with id &gt; <paramref name="after"/>, by id.</summary>
    public static async Task<IReadOnlyList<Holder>> ListAsync(SqliteConnection connection, HolderFilter filter, long after, int take, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {Columns} FROM holders
            WHERE id > $after
              AND ($building IS NULL OR building = $building)
              AND ($unit IS NULL OR unit = $unit)
              AND ($room IS NULL OR room = $room)
              AND ($name IS NULL OR instr(lower(name), lower($name)) > 0)
            ORDER BY id LIMIT $take
            """;
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$take", take);
        command.Parameters.AddWithValue("$building", (object?)filter.Building ?? DBNull.Value);
        command.Parameters.AddWithValue("$unit", (object?)filter.Unit ?? DBNull.Value);
        command.Parameters.AddWithValue("$room", (object?)filter.Room ?? DBNull.Value);
        command.Parameters.AddWithValue("$name", (object?)filter.NameContains ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<Holder>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    /// <summary>
    /// Holders found by what a person at the desk knows of them: part of the name, a unit address or its
    /// beginning (<c>3-2-1201</c>, <c>3-2</c>), part of a phone number, part of a car plate of one of their
    /// parking agreements, or the number of one of their cards. At most <paramref name="take"/>, by id.
    /// </summary>
    public static async Task<IReadOnlyList<Holder>> SearchAsync(SqliteConnection connection, string text, int take, CancellationToken cancellationToken)
    {
        // A phone number is matched on its digits alone, whatever spaces or dashes either side wrote.
        var digits = text.All(c => char.IsAsciiDigit(c) || c is ' ' or '-' or '+') ? new string(text.Where(char.IsAsciiDigit).ToArray()) : string.Empty;
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {Columns} FROM holders h
            WHERE instr(lower(h.name), lower($text)) > 0
               OR h.id IN (SELECT id FROM holders WHERE building = $building AND ($unit IS NULL OR unit = $unit) AND ($room IS NULL OR room = $room))
               OR (length($digits) >= 4 AND instr(replace(replace(replace(coalesce(h.phone, ''), ' ', ''), '-', ''), '+', ''), $digits) > 0)
               OR h.id IN (SELECT a.holder_id FROM parking_agreements a WHERE instr(upper(replace(a.plate, ' ', '')), upper(replace($text, ' ', ''))) > 0)
               OR h.id IN (SELECT c.holder_id FROM cards c WHERE c.number = $number)
            ORDER BY h.id LIMIT $take
            """;
        // The address, plate and card conditions are subqueries run once (the address and the card by index), not once per
        // holder (docs/benchmarks.md, "console"); a card number is the text as written, without leading zeros.
        long? number = text.Length is > 0 and <= 8 && text[0] != '0' && text.All(char.IsAsciiDigit) ? long.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;
        command.Parameters.AddWithValue("$number", (object?)number ?? DBNull.Value);
        command.Parameters.AddWithValue("$text", text);
        // A unit address or its beginning (3, 3-2, 3-2-1201), each part as written.
        var parts = text.Split('-');
        var address = parts.Length <= 3 && parts.All(UnitAddress.IsValidPart) ? parts : [];
        command.Parameters.AddWithValue("$building", address.Length > 0 ? address[0] : DBNull.Value);
        command.Parameters.AddWithValue("$unit", address.Length > 1 ? address[1] : DBNull.Value);
        command.Parameters.AddWithValue("$room", address.Length > 2 ? address[2] : DBNull.Value);
        command.Parameters.AddWithValue("$digits", digits);
        command.Parameters.AddWithValue("$take", take);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<Holder>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    /// <summary>The numbers of every card that names the holder, whatever its state (their zones follow the holder's building).</summary>
    public static async Task<IReadOnlyList<long>> CardNumbersAsync(UnitOfWork unit, long holderId, CancellationToken cancellationToken)
    {
        await using var command = unit.Command("SELECT number FROM cards WHERE holder_id = $id ORDER BY number");
        command.Parameters.AddWithValue("$id", holderId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(reader.GetInt64(0));
        }

        return list;
    }

    private static void Bind(SqliteCommand command, string name, UnitAddress address, string? phone, string? email, string? idLastFour)
    {
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$building", address.Building);
        command.Parameters.AddWithValue("$unit", address.Unit);
        command.Parameters.AddWithValue("$room", address.Room);
        command.Parameters.AddWithValue("$phone", (object?)phone ?? DBNull.Value);
        command.Parameters.AddWithValue("$email", (object?)email ?? DBNull.Value);
        command.Parameters.AddWithValue("$last4", (object?)idLastFour ?? DBNull.Value);
    }

    private static Holder Read(SqliteDataReader r) => new(
        r.GetInt64(0),
        r.GetString(1),
        new UnitAddress(r.GetString(2), r.GetString(3), r.GetString(4)),
        r.IsDBNull(5) ? null : r.GetString(5),
        r.IsDBNull(6) ? null : r.GetString(6),
        r.IsDBNull(7) ? null : r.GetString(7),
        UnitOfWork.ParseTimestamp(r.GetString(8)),
        UnitOfWork.ParseTimestamp(r.GetString(9)));
}
