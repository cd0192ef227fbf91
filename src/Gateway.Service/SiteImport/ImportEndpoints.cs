using Gateway.Service.Api;
using Gateway.Service.Domain.Import;

namespace Gateway.Service.SiteImport;

/// <summary>
/// <c>POST /api/imports/dry-run</c> and <c>POST /api/imports</c> (admin): moving a live site in from CSV
/// files (docs/migration.md). Both take the files' bytes as written (base64), so the service reads their
/// encoding itself; the dry run changes nothing, the import takes a backup and commits everything or nothing.
/// </summary>
public static class ImportEndpoints
{
    /// <summary>422: the import was refused because of bad lines; <c>report</c> lists every one, nothing was changed.</summary>
    public const string ImportRefused = ProblemTypes.Prefix + "import-refused";

    /// <summary>Most files in one request.</summary>
    public const int MaxFiles = 16;

    public static void MapImportEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/imports/dry-run", DryRunAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .WithTags("Site import").WithName("DryRunImport").WithSummary("Report, line by line and per controller, what importing these CSV files would do; changes nothing");
        api.MapPost("/imports", ImportAsync)
            .RequireAuthorization(GatewayPolicies.Admin)
            .RequireIdempotencyKey()
            .WithTags("Site import").WithName("Import").WithSummary("Take a backup, then import holders, legacy cards and parking agreements from CSV files in one transaction");
    }

    /// <summary>One file: its name (for the report), what it holds (<c>holders</c>, <c>cards</c>, <c>agreements</c>) and its bytes in base64.</summary>
    public sealed record ImportFileBody(string? Name, ImportFileKind? Kind, string? Content);

    public sealed record ImportRequest(IReadOnlyList<ImportFileBody>? Files);

    private static async Task<IResult> DryRunAsync(ImportRequest? body, HttpContext context, ImportWorkflow imports, CancellationToken cancellationToken)
    {
        if (!TryRead(body, out var files, out var problem))
        {
            return problem;
        }

        return TypedResults.Ok(await imports.DryRunAsync(context.User.ToActor(), files, cancellationToken));
    }

    private static async Task<IResult> ImportAsync(ImportRequest? body, HttpContext context, ImportWorkflow imports, CancellationToken cancellationToken)
    {
        if (!TryRead(body, out var files, out var problem))
        {
            return problem;
        }

        var outcome = await imports.ImportAsync(context.User.ToActor(), files, cancellationToken);
        if (!outcome.TryGetValue(out var report, out var refusal))
        {
            return refusal.ToProblem();
        }

        return report.Problems.Count > 0
            ? ApiProblems.Problem(
                StatusCodes.Status422UnprocessableEntity,
                ImportRefused,
                "Import refused",
                $"{report.Problems.Count} bad line(s); nothing was imported",
                new Dictionary<string, object?> { ["report"] = report })
            : TypedResults.Ok(report);
    }

    private static bool TryRead(ImportRequest? body, out List<ImportFile> files, out IResult problem)
    {
        files = [];
        problem = Results.Empty;
        var v = new Validator();
        if (body?.Files is not { Count: > 0 } given)
        {
            v.Add("files", "give at least one file", "required");
        }
        else if (given.Count > MaxFiles)
        {
            v.Add("files", $"at most {MaxFiles} files", "too-many", MaxFiles);
        }
        else
        {
            for (var i = 0; i < given.Count; i++)
            {
                var file = given[i];
                var name = v.Text($"files[{i}].name", file?.Name, 200);
                if (file?.Kind is not { } kind)
                {
                    v.Add($"files[{i}].kind", "is required: holders, cards or agreements", "required");
                    continue;
                }

                byte[]? bytes = null;
                if (string.IsNullOrEmpty(file.Content))
                {
                    v.Add($"files[{i}].content", "is required: the file's bytes in base64", "required");
                }
                else
                {
                    try
                    {
                        bytes = Convert.FromBase64String(file.Content);
                    }
                    catch (FormatException)
                    {
                        v.Add($"files[{i}].content", "is not base64", "format");
                    }
                }

                if (name is not null && bytes is not null)
                {
                    files.Add(new ImportFile(name, kind, bytes));
                }
            }
        }

        if (!v.IsValid)
        {
            problem = v.ToProblem();
            return false;
        }

        return true;
    }
}
