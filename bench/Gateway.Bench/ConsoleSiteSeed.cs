using System.Globalization;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Bench;

/// <summary>
/// A residential site written straight into the database in one transaction, shaped as a real one:
/// holders with Chinese names in buildings, units and rooms, phones and masked ID numbers; an access card
/// each, a second for one household in ten, a lost card replaced for one in fifty, a parking card and
/// agreement for one in four (monthly periods paid up to a spread of dates around today, some overdue,
/// some never paid, some ended, a few payments waiting to be granted); blank cards in stock; and controller
/// events over the last half year at the buildings' doors and the car park's two lanes, ids in time order,
/// about 2% denied.
/// </summary>
internal static class ConsoleSiteSeed
{
    public const int EventDays = 180;

    public static readonly string[] Surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗"];

    private static readonly string[] Given = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞", "平", "刚", "桂", "英", "华", "文", "建", "国", "玉", "兰", "红", "志", "海", "燕", "鹏", "飞", "晨", "雪", "婷", "宇", "浩"];

    private const string PlateLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ";

    /// <summary>What was written, and samples the benchmark's requests are drawn from.</summary>
    public sealed record Site(
        int Holders,
        int Cards,
        int InStock,
        int Agreements,
        int Payments,
        int Events,
        IReadOnlyList<long> HolderIds,
        IReadOnlyList<long> IssuedCards,
        IReadOnlyList<long> AgreementIds,
        IReadOnlyList<string> Plates,
        IReadOnlyList<string> Controllers,
        IReadOnlyList<string> Names,
        IReadOnlyList<string> AgreementNames,
        IReadOnlyList<string> Units,
        IReadOnlyList<string> Phones);

    private sealed record Card(long Number, long HolderId, string Uid, string? Plate, int Building);

    public static Site Write(GatewayDatabase database, int holders, int events, TimeZoneInfo zone, DateTimeOffset now)
    {
        var random = new Random(21);
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        SqliteCommand Command(string sql)
        {
            var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            return command;
        }

        // A lost card and its replacement name each other: checked at commit.
        using (var defer = Command("PRAGMA defer_foreign_keys = ON"))
        {
            defer.ExecuteNonQuery();
        }

        DateTimeOffset LocalMidnight(DateOnly date) => new(TimeZoneInfo.ConvertTimeToUtc(date.ToDateTime(TimeOnly.MinValue), zone), TimeSpan.Zero);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var thisMonth = new DateOnly(today.Year, today.Month, 1);

        using var holder = Command("INSERT INTO holders(id, name, building, unit, room, phone, id_last4, created_utc, updated_utc) VALUES ($id, $name, $b, $u, $r, $phone, $id4, $at, $at)");
        using var card = Command("INSERT INTO cards(number, state, uid, holder_id, kind, issue_count, replaces, replaced_by, state_reason, batch, received_utc, updated_utc) VALUES ($n, $state, $uid, $h, $kind, $count, $replaces, $replacedBy, $reason, $batch, $received, $at)");
        using var issue = Command("INSERT INTO card_issues(card_number, holder_id, kind, uid, issue_counter, items, receipt_reference, replaces, issued_utc, issued_by) VALUES ($n, $h, $kind, $uid, 1, '[\"card\"]', $receipt, $replaces, $at, 'desk')");
        using var history = Command("INSERT INTO card_events(card_number, action, from_state, to_state, reason, at_utc, operator_id) VALUES ($n, $action, $from, $to, $reason, $at, 'desk')");
        using var agreement = Command("""
            INSERT INTO parking_agreements(id, agreement_number, holder_id, card_number, plate, space, monthly_fee_fen, billing_cycle, payment_method, signed_copy_ref, created_utc, created_by, ended_utc, ended_by, end_reason, paid_until_date, paid_until_utc, bank_account_name, bank_account_number)
            VALUES ($id, $number, $h, $n, $plate, $space, $fee, 'month', $method, $copy, $at, 'desk', $ended, $endedBy, $endReason, $paidDate, $paidUtc, $accountName, $account)
            """);
        using var payment = Command("INSERT INTO parking_payments(id, agreement_id, amount_fen, method, receipt_number, state, recorded_utc, recorded_by, granted_utc, granted_by) VALUES ($id, $a, $amount, $method, $receipt, $state, $at, 'desk', $granted, $grantedBy)");
        using var period = Command("INSERT INTO parking_periods(payment_id, agreement_id, seq, chain_start, months, days, start_date, end_date, start_utc, end_utc) VALUES ($p, $a, $seq, $chain, 1, 0, $start, $end, $startUtc, $endUtc)");

        var holderIds = new List<long>();
        var names = new List<string>();
        var units = new List<string>();
        var phones = new List<string>();
        var plates = new List<string>();
        var agreementNames = new List<string>();
        var agreementIds = new List<long>();
        var issued = new List<Card>();
        var parkingCards = new List<Card>();
        var cardCount = 0;
        var paymentId = 0L;
        for (var i = 1; i <= holders; i++)
        {
            // 40 buildings of 2 units, 25 floors of 10 rooms: 500 households a building.
            var index = i - 1;
            var building = (index / 500) + 1;
            var unit = ((index % 500) / 250) + 1;
            var room = ((((index % 250) / 10) + 1) * 100) + (index % 10) + 1;
            var name = Surnames[random.Next(Surnames.Length)] + Given[random.Next(Given.Length)] + (random.Next(3) == 0 ? string.Empty : Given[random.Next(Given.Length)]);
            var phone = "13" + random.Next(100_000_000, 999_999_999).ToString(CultureInfo.InvariantCulture);
            var created = now.AddDays(-random.Next(30, 1_100));
            var at = UnitOfWork.Timestamp(created);
            Bind(holder, ("$id", i), ("$name", name), ("$b", Text(building)), ("$u", Text(unit)), ("$r", Text(room)), ("$phone", phone), ("$id4", random.Next(10) == 0 ? Text(random.Next(100, 999)) + "X" : Text(random.Next(1000, 9999))), ("$at", at));
            holder.ExecuteNonQuery();
            holderIds.Add(i);
            names.Add(name);
            units.Add($"{building}-{unit}-{room}");
            phones.Add(phone);

            void Issue(long number, string kind, string state, long? replaces, long? replacedBy, string? plate)
            {
                var uid = ((uint)(number * 2_654_435_761L)).ToString("X8", CultureInfo.InvariantCulture);
                var issuedAt = UnitOfWork.Timestamp(created.AddMinutes(10));
                var changedAt = state == "lost" ? UnitOfWork.Timestamp(created.AddDays(random.Next(1, 29))) : issuedAt;
                Bind(card, ("$n", number), ("$state", state), ("$uid", uid), ("$h", i), ("$kind", kind), ("$count", 1), ("$replaces", replaces), ("$replacedBy", replacedBy), ("$reason", state == "lost" ? "lost" : null), ("$batch", "2023-A"), ("$received", UnitOfWork.Timestamp(created.AddDays(-10))), ("$at", changedAt));
                card.ExecuteNonQuery();
                Bind(issue, ("$n", number), ("$h", i), ("$kind", kind), ("$uid", uid), ("$receipt", $"R-{number}"), ("$replaces", replaces), ("$at", issuedAt));
                issue.ExecuteNonQuery();
                Bind(history, ("$n", number), ("$action", "receive"), ("$from", null), ("$to", "in-stock"), ("$reason", null), ("$at", UnitOfWork.Timestamp(created.AddDays(-10))));
                history.ExecuteNonQuery();
                Bind(history, ("$action", "issue"), ("$from", "in-stock"), ("$to", "issued"), ("$at", issuedAt));
                history.ExecuteNonQuery();
                if (state == "lost")
                {
                    Bind(history, ("$action", "report-lost"), ("$from", "issued"), ("$to", "lost"), ("$reason", "lost"), ("$at", changedAt));
                    history.ExecuteNonQuery();
                }
                else
                {
                    var c = new Card(number, i, uid, plate, building);
                    issued.Add(c);
                    if (plate is not null)
                    {
                        parkingCards.Add(c);
                    }
                }

                cardCount++;
            }

            // One household in fifty lost its first card and holds the replacement.
            var lost = i % 50 == 0;
            if (lost)
            {
                Issue(400_000 + i, "access", "lost", null, 100_000 + i, null);
            }

            Issue(100_000 + i, "access", "issued", lost ? 400_000 + i : null, null, null);
            if (i % 10 == 3)
            {
                Issue(200_000 + i, "access", "issued", null, null, null);
            }

            if (i % 4 != 0)
            {
                continue;
            }

            var id = agreementIds.Count + 1;
            var plate = "沪" + PlateLetters[random.Next(PlateLetters.Length)] + random.Next(10_000, 99_999).ToString(CultureInfo.InvariantCulture);
            Issue(300_000 + i, "parking", "issued", null, null, plate);
            plates.Add(plate);
            agreementNames.Add(name);
            agreementIds.Add(id);

            // Paid monthly up to two months either side of this month; one in thirty never paid, one in fifteen ended.
            var months = random.Next(1, 13);
            var end = thisMonth.AddMonths(random.Next(-2, 3));
            var anchor = end.AddMonths(-months);
            var neverPaid = id % 30 == 0;
            var ended = id % 15 == 0;
            var bank = id % 4 == 1;
            var fee = id % 3 == 0 ? 45_000 : 30_000;
            var agreed = LocalMidnight(anchor).AddDays(-random.Next(1, 10)).AddHours(random.Next(9, 17));
            Bind(agreement, ("$id", id), ("$number", $"P-{id:00000}"), ("$h", i), ("$n", 300_000 + i), ("$plate", plate), ("$space", $"B{1 + (id % 2)}-{id:0000}"), ("$fee", fee), ("$method", bank ? "bank-debit" : "cash"), ("$copy", $"合同-{id:00000}"), ("$at", UnitOfWork.Timestamp(agreed)),
                ("$ended", ended ? UnitOfWork.Timestamp(LocalMidnight(end).AddHours(10)) : null), ("$endedBy", ended ? "desk" : null), ("$endReason", ended ? "搬离" : null),
                ("$paidDate", neverPaid ? null : end.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), ("$paidUtc", neverPaid ? null : UnitOfWork.Timestamp(LocalMidnight(end))),
                ("$accountName", bank ? name : null), ("$account", bank ? "6222" + random.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture) + "1234" : null));
            agreement.ExecuteNonQuery();
            if (neverPaid)
            {
                continue;
            }

            for (var m = 0; m < months; m++)
            {
                var start = anchor.AddMonths(m);
                var paid = LocalMidnight(start).AddDays(-random.Next(1, 5)).AddHours(random.Next(9, 17));
                paymentId++;
                Bind(payment, ("$id", paymentId), ("$a", id), ("$amount", fee), ("$method", bank ? "bank-debit" : "cash"), ("$receipt", $"{(bank ? "BANK" : "F")}-{paymentId:000000}"), ("$state", "granted"), ("$at", UnitOfWork.Timestamp(paid)), ("$granted", UnitOfWork.Timestamp(paid.AddHours(2))), ("$grantedBy", "authorizer"));
                payment.ExecuteNonQuery();
                Bind(period, ("$p", paymentId), ("$a", id), ("$seq", m + 1), ("$chain", Date(anchor)), ("$start", Date(start)), ("$end", Date(start.AddMonths(1))), ("$startUtc", UnitOfWork.Timestamp(LocalMidnight(start))), ("$endUtc", UnitOfWork.Timestamp(LocalMidnight(start.AddMonths(1)))));
                period.ExecuteNonQuery();
            }

            if (id % 20 == 0 && !ended)
            {
                // The next month paid at the desk, waiting for the authorizer.
                paymentId++;
                Bind(payment, ("$id", paymentId), ("$a", id), ("$amount", fee), ("$method", "cash"), ("$receipt", $"F-{paymentId:000000}"), ("$state", "recorded"), ("$at", UnitOfWork.Timestamp(now.AddHours(-random.Next(1, 72)))), ("$granted", null), ("$grantedBy", null));
                payment.ExecuteNonQuery();
            }
        }

        // Blank cards in stock: a tenth of the households.
        var inStock = Math.Max(20, holders / 10);
        using (var stock = Command("INSERT INTO cards(number, state, batch, received_utc, updated_utc) VALUES ($n, 'in-stock', '2026-B', $at, $at)"))
        {
            var received = UnitOfWork.Timestamp(now.AddDays(-40));
            for (var n = 0; n < inStock; n++)
            {
                Bind(stock, ("$n", 500_001 + n), ("$at", received));
                stock.ExecuteNonQuery();
                Bind(history, ("$n", 500_001 + n), ("$action", "receive"), ("$from", null), ("$to", "in-stock"), ("$reason", null), ("$at", received));
                history.ExecuteNonQuery();
            }
        }

        var controllers = Enumerable.Range(1, (holders + 499) / 500).Select(b => $"door-b{b}").Concat(["carpark-in", "carpark-out"]).ToList();
        using (var ev = Command("""
            INSERT INTO controller_events(controller_id, boot_id, sequence, time_utc, card_uid, lane, direction, decision, reason, card_number, holder_id, plate, collected_utc)
            VALUES ($c, 1, $seq, $time, $uid, $lane, $dir, $decision, $reason, $n, $h, $plate, $collected)
            """))
        {
            var sequences = controllers.ToDictionary(c => c, _ => 0);
            var from = now.AddDays(-EventDays);
            var step = TimeSpan.FromDays(EventDays).Ticks / Math.Max(1, events);
            for (var e = 0; e < events; e++)
            {
                // Ids in time order, as collected; a quarter at the car park (parking cards), the rest at the holder's building door.
                var time = from.AddTicks((e * step) + random.NextInt64(step));
                var atCarPark = parkingCards.Count > 0 && random.Next(4) == 0;
                var c = atCarPark ? parkingCards[random.Next(parkingCards.Count)] : issued[random.Next(issued.Count)];
                var controller = atCarPark ? (random.Next(2) == 0 ? "carpark-in" : "carpark-out") : $"door-b{c.Building}";
                var roll = random.Next(100);
                var unknown = roll < 2;
                var decision = roll < 2 || (atCarPark && roll < 3) ? "denied" : "granted";
                var reason = unknown ? "unknown" : decision == "denied" ? "expired" : "none";
                Bind(ev, ("$c", controller), ("$seq", ++sequences[controller]), ("$time", UnitOfWork.Timestamp(time)), ("$uid", unknown ? random.Next().ToString("X8", CultureInfo.InvariantCulture) : c.Uid),
                    ("$lane", 1), ("$dir", controller == "carpark-out" ? "exit" : "entry"), ("$decision", decision), ("$reason", reason),
                    ("$n", unknown ? null : c.Number), ("$h", unknown ? null : c.HolderId), ("$plate", unknown || !atCarPark ? null : c.Plate), ("$collected", UnitOfWork.Timestamp(time.AddSeconds(random.Next(1, 30)))));
                ev.ExecuteNonQuery();
            }
        }

        transaction.Commit();
        return new Site(holders, cardCount + inStock, inStock, agreementIds.Count, (int)paymentId, events, holderIds, issued.Select(c => c.Number).ToList(), agreementIds.Select(a => (long)a).ToList(), plates, controllers, names, agreementNames, units, phones);
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Sets the named parameters (adding those the command has not yet), nulls as SQL NULL.</summary>
    private static void Bind(SqliteCommand command, params (string Name, object? Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            var parameter = command.Parameters.Contains(name) ? command.Parameters[name] : command.Parameters.Add(new SqliteParameter { ParameterName = name });
            parameter.Value = value ?? DBNull.Value;
        }
    }
}
