using Gateway.Service.Api;
using Gateway.Service.Operators;
using Gateway.Shared;

namespace Gateway.Service.Demo;

/// <summary>
/// The demo's way in: instead of a bootstrap token and one admin, the demo site's first start creates
/// one named operator per role (desk, authorizer, finance, admin), each with a random password that is
/// printed at every start and kept owner-only in <c>data/demo/NAME.password</c>, so
/// <c>gatewayctl login --user desk --password-file data/demo/desk.password</c> works without a terminal.
/// Unlike a real site's one-time passwords, these need no change before use: one person holds all four
/// on their own machine, the service listens on loopback, and the README's walkthrough switches between
/// operators (docs/operators.md, "The demo's operators"). An operator who changes theirs anyway keeps
/// the new one: the file is deleted at the next start and the notes say so.
/// </summary>
public sealed class DemoOperators
{
    /// <summary>The demo's operators: id, display name, role.</summary>
    public static readonly IReadOnlyList<(string Id, string DisplayName, string Role)> All =
    [
        ("desk", "王芳", GatewayRoles.FrontDesk),
        ("authorizer", "李强", GatewayRoles.ParkingAuthorizer),
        ("finance", "陈静", GatewayRoles.Finance),
        ("admin", "赵敏", GatewayRoles.Admin),
    ];

    public DemoOperators(string dataFolder)
    {
        DataFolder = dataFolder;
    }

    public string DataFolder { get; }

    /// <summary>The file holding a demo operator's password.</summary>
    public string PasswordPath(string id) => Path.Combine(DataFolder, id + ".password");

    /// <summary>The demo's password of operator <paramref name="id"/> while its file holds it, else null.</summary>
    public string? Password(string id) =>
        File.Exists(PasswordPath(id)) && File.ReadAllText(PasswordPath(id)).Trim() is { Length: > 0 } password ? password : null;

    /// <summary>
    /// Creates each demo operator that does not exist yet, with a random password written to its file
    /// (owner-only) before the operator exists, and deletes the file of one whose password was changed
    /// since it was created (the file no longer holds it). Returns the ids created.
    /// </summary>
    public async Task<IReadOnlyList<string>> CreateMissingAsync(OperatorStore store, CancellationToken cancellationToken)
    {
        var created = new List<string>();
        foreach (var (id, name, role) in All)
        {
            if (await store.GetAsync(id, cancellationToken) is { } existing)
            {
                if (existing.PasswordChangedUtc != existing.CreatedUtc)
                {
                    File.Delete(PasswordPath(id));
                }

                continue;
            }

            var password = PasswordHasher.GenerateOneTimePassword();
            OwnerOnlyFile.WriteText(PasswordPath(id), password + "\n");
            if (await store.CreateWithPasswordAsync(Storage.Actor.System, id, name, [role], password, oneTime: false, cancellationToken) is not null)
            {
                created.Add(id);
            }
        }

        return created;
    }

    /// <summary>Lines for the person at the terminal: each operator, its role and password (from its file).</summary>
    public IEnumerable<string> Notes()
    {
        yield return $"demo operators (passwords also in {DataFolder}/NAME.password):";
        foreach (var (id, _, role) in All)
        {
            yield return Password(id) is { } password
                ? $"  {id,-10} {role,-18} password {password}"
                : $"  {id,-10} {role,-18} the password they chose (delete {DataFolder} to start the demo over)";
        }
    }
}
