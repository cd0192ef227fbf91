using System.Globalization;
using Gateway.Service.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Service.Tests.Workflows;

/// <summary>
/// What a workflow needs below it, without a web host: a real SQLite file with every migration, the
/// write path, and an observer that records each committed unit's audit entries (the audit log's place).
/// </summary>
public sealed class WorkflowSite : IDisposable
{
    private readonly TempFolder _folder = new("gateway-workflow");

    public WorkflowSite()
    {
        Database = new GatewayDatabase(_folder.Combine("gateway.db"));
        Database.Initialize("workflow-test", Migrator.Discover(typeof(GatewayDatabase).Assembly));
        Writes = new UnitOfWorkFactory(Database, Time, [Audit]);
    }

    public static Actor Desk { get; } = new("desk-1", "Desk One");

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 2, 1, 30, 0, TimeSpan.Zero));

    public GatewayDatabase Database { get; }

    public UnitOfWorkFactory Writes { get; }

    public AuditRecorder Audit { get; } = new();

    public string Scalar(string sql)
    {
        using var connection = Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? string.Empty;
    }

    public long Count(string table) => long.Parse(Scalar($"SELECT COUNT(*) FROM {table}"), CultureInfo.InvariantCulture);

    public void Execute(string sql)
    {
        using var connection = Database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    /// <summary>Keeps the audit entries of the units that reached their commit, in order.</summary>
    public sealed class AuditRecorder : IUnitOfWorkObserver
    {
        private readonly List<AuditEntry> _entries = [];

        public IReadOnlyList<AuditEntry> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public IReadOnlyList<string> Actions(string subject) => Entries.Where(e => e.Subject == subject).Select(e => e.Action).ToList();

        public Task OnCommittingAsync(UnitOfWork unitOfWork, IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
        {
            lock (_entries)
            {
                _entries.AddRange(entries);
            }

            return Task.CompletedTask;
        }
    }
}
