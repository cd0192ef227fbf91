using Gateway.Service.Api;

namespace Gateway.Service.Backups;

/// <summary><c>POST /api/backups</c> (admin): an online backup into <c>DataFolder/backups</c> or a given absolute path.</summary>
public static class BackupEndpoints
{
    public static void MapBackupEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/backups", BackupAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithTags("Backups").WithName("CreateBackup").WithSummary("Take a consistent online copy of the database (SQLite backup API)");
    }

    public sealed record BackupRequest(string? Path);

    private static async Task<IResult> BackupAsync(BackupRequest? body, HttpContext context, BackupWorkflow backups, CancellationToken cancellationToken)
    {
        var v = new Validator();
        var path = v.Text("path", body?.Path, 4096, required: false);
        if (path is not null && (!System.IO.Path.IsPathFullyQualified(path) || path.IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0))
        {
            v.Add("path", "must be an absolute path on the service's machine");
        }

        if (!v.IsValid)
        {
            return v.ToProblem();
        }

        var outcome = await backups.BackupAsync(context.User.ToActor(), path, cancellationToken);
        return outcome.TryGetValue(out var result, out var refusal) ? TypedResults.Ok(result) : refusal.ToProblem();
    }
}
