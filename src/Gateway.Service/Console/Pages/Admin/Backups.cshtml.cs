using Gateway.Service.Api;
using Gateway.Service.Backups;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Admin;

/// <summary>
/// Backups: take a consistent online copy of the database into the data folder's <c>backups</c>
/// (<see cref="BackupWorkflow.BackupAsync"/>, as <c>POST /api/backups</c>: checked, audited, with the audit
/// head it holds), and the copies kept there.
/// </summary>
[Authorize(Policy = GatewayPolicies.Admin)]
public sealed class BackupsModel : ConsolePage
{
    private readonly BackupWorkflow _backups;

    public BackupsModel(BackupWorkflow backups)
    {
        _backups = backups;
    }

    public string Folder => _backups.DefaultFolder;

    public IReadOnlyList<FileInfo> Files { get; private set; } = [];

    public BackupResult? Done { get; private set; }

    public void OnGet() => Load();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!(await _backups.BackupAsync(Actor, null, cancellationToken)).TryGetValue(out var result, out var refusal))
        {
            Show(refusal);
        }
        else
        {
            Done = result;
        }

        Load();
        return Page();
    }

    private void Load() =>
        Files = Directory.Exists(Folder)
            ? new DirectoryInfo(Folder).GetFiles("*.db").OrderByDescending(f => f.LastWriteTimeUtc).Take(50).ToList()
            : [];
}
