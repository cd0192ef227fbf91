using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Service.Audit;

/// <summary>One stored audit row, as the chain sees it.</summary>
public sealed record AuditRow(
    long Id,
    string AtUtc,
    string OperatorId,
    string OperatorName,
    string Action,
    string Subject,
    string Details,
    string PrevMac,
    string Mac);

/// <summary>The last row of the chain: its id and MAC. Exported by <c>gatewayctl audit head</c>, recorded at every inventory sign-off.</summary>
public sealed record AuditHead(long LastId, string Mac);

/// <summary>What kind of tampering the verification found at <see cref="AuditVerification.FirstBadRowId"/>.</summary>
public enum AuditFault
{
    /// <summary>A row's content (or its MAC) was changed.</summary>
    Edited,

    /// <summary>One or more rows were removed from inside the chain.</summary>
    Deleted,

    /// <summary>A row that the key never signed was added.</summary>
    Inserted,

    /// <summary>Rows at the end were removed: the log is shorter than a head recorded earlier.</summary>
    Truncated,
}

/// <summary>The outcome of checking the chain: intact, or the first bad row and what happened to it.</summary>
public sealed record AuditVerification(bool Intact, long RowsChecked, AuditHead? Head, long? FirstBadRowId, AuditFault? Fault, string Detail);

/// <summary>
/// The chain's arithmetic, pure: row n's MAC is HMAC-SHA256(key, prev_mac ‖ fields), where prev_mac is
/// row n-1's MAC (32 zero bytes for the first row) and every field is length-prefixed UTF-8, so no two
/// different rows encode alike. Rows store their prev_mac too: that tells a deleted row (the next row
/// still verifies on its own but no longer links) from an edited one (it no longer verifies).
/// </summary>
public static class AuditChain
{
    public static string Genesis { get; } = new('0', 64);

    public static string ComputeMac(byte[] key, string prevMac, string atUtc, string operatorId, string operatorName, string action, string subject, string details)
    {
        using var buffer = new MemoryStream(256);
        var length = new byte[4];
        foreach (var field in new[] { prevMac, atUtc, operatorId, operatorName, action, subject, details })
        {
            var bytes = Encoding.UTF8.GetBytes(field);
            BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
            buffer.Write(length);
            buffer.Write(bytes);
        }

        return Convert.ToHexStringLower(HMACSHA256.HashData(key, buffer.ToArray()));
    }

    private static bool SelfVerifies(byte[] key, AuditRow row) =>
        FixedEquals(ComputeMac(key, row.PrevMac, row.AtUtc, row.OperatorId, row.OperatorName, row.Action, row.Subject, row.Details), row.Mac);

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    /// <summary>
    /// Checks rows in id order. Names the first row that was edited, deleted (the id missing, or the
    /// row after the gap when ids were renumbered) or inserted; with <paramref name="heads"/> (exported
    /// or recorded at sign-offs), also a truncated tail and rows appended after a head that do not verify.
    /// A head naming row 0 is the empty log's (genesis MAC): it holds for any log. An empty log is intact
    /// only when <paramref name="emptiedEvidence"/> is null; otherwise it says why the log must have had rows.
    /// </summary>
    public static AuditVerification Verify(byte[] key, IEnumerable<AuditRow> rowsInIdOrder, IReadOnlyCollection<AuditHead>? heads = null, string? emptiedEvidence = null)
    {
        heads ??= [];
        foreach (var genesis in heads.Where(h => h.LastId == 0))
        {
            if (!FixedEquals(genesis.Mac.ToLowerInvariant(), Genesis))
            {
                return Bad(0, 0, AuditFault.Edited, "a head naming row 0 must carry the empty log's MAC (64 zeros): this head was not exported by Gateway");
            }
        }

        heads = heads.Where(h => h.LastId > 0).ToList();
        var expectedPrev = Genesis;
        AuditRow? previous = null;
        long count = 0;
        using var rows = rowsInIdOrder.GetEnumerator();
        var hasCurrent = rows.MoveNext();
        var seen = new Dictionary<long, string>();
        var wanted = heads.Select(h => h.LastId).ToHashSet();
        while (hasCurrent)
        {
            var row = rows.Current;
            var hasNext = rows.MoveNext();
            var next = hasNext ? rows.Current : null;
            count++;
            var self = SelfVerifies(key, row);
            var linked = FixedEquals(row.PrevMac, expectedPrev);
            if (!self || !linked)
            {
                var previousId = previous?.Id ?? 0;
                if (self)
                {
                    // The row is genuine but its predecessor is not the row it was chained to.
                    var missing = row.Id > previousId + 1 ? previousId + 1 : row.Id;
                    return Bad(count, missing, AuditFault.Deleted, row.Id > previousId + 1
                        ? $"row(s) {previousId + 1}..{row.Id - 1} were deleted (row {row.Id} no longer links to row {previousId})"
                        : $"a row before row {row.Id} was deleted and the ids renumbered (row {row.Id} no longer links to row {previousId})");
                }

                if (next is not null && FixedEquals(next.PrevMac, row.Mac) && linked)
                {
                    return Bad(count, row.Id, AuditFault.Edited, $"row {row.Id} was edited: its content no longer matches its MAC");
                }

                if ((next is not null && FixedEquals(next.PrevMac, expectedPrev)) || (next is null && heads.Count > 0 && heads.Max(h => h.LastId) < row.Id))
                {
                    return Bad(count, row.Id, AuditFault.Inserted, next is null
                        ? $"row {row.Id} was inserted after the recorded head: no key signed it"
                        : $"row {row.Id} was inserted: no key signed it and the chain runs past it");
                }

                return Bad(count, row.Id, AuditFault.Edited, $"row {row.Id} was edited or forged: it does not verify");
            }

            if (wanted.Contains(row.Id))
            {
                seen[row.Id] = row.Mac;
            }

            expectedPrev = row.Mac;
            previous = row;
            hasCurrent = hasNext;
        }

        foreach (var head in heads.OrderBy(h => h.LastId))
        {
            if (!seen.TryGetValue(head.LastId, out var mac))
            {
                var lastId = previous?.Id ?? 0;
                return Bad(count, lastId + 1, AuditFault.Truncated, $"the log ends at row {lastId} but a recorded head names row {head.LastId}: rows {lastId + 1}..{head.LastId} or more were removed");
            }

            if (!FixedEquals(mac, head.Mac.ToLowerInvariant()))
            {
                return Bad(count, head.LastId, AuditFault.Edited, $"row {head.LastId} does not carry the MAC of the recorded head");
            }
        }

        if (count == 0 && emptiedEvidence is not null)
        {
            return Bad(0, 1, AuditFault.Truncated, $"the audit log is empty, but {emptiedEvidence}: every row was removed");
        }

        var tip = previous is null ? new AuditHead(0, Genesis) : new AuditHead(previous.Id, previous.Mac);
        return new AuditVerification(true, count, tip, null, null, count == 0 ? "the audit log is empty" : $"{count} rows verified, chain intact up to row {tip.LastId}");

        static AuditVerification Bad(long checkedRows, long id, AuditFault fault, string detail) => new(false, checkedRows, null, id, fault, detail);
    }
}
