using Gateway.Service.Api;
using Gateway.Service.Operators;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Admin;

/// <summary>
/// The operators and their roles, and a new operator with a one-time password shown once (the same rules
/// as <c>POST /api/operators</c>). Admin only: a post from any other role is refused with 403 forbidden.
/// </summary>
[Authorize(Policy = GatewayPolicies.Admin)]
public sealed class OperatorsModel : ConsolePage
{
    private readonly OperatorStore _operators;

    public OperatorsModel(OperatorStore operators)
    {
        _operators = operators;
    }

    public IReadOnlyList<OperatorView> Operators { get; private set; } = [];

    [BindProperty]
    public string? Username { get; set; }

    [BindProperty]
    public string? DisplayName { get; set; }

    [BindProperty]
    public List<string> Roles { get; set; } = [];

    /// <summary>The operator just created and its one-time password (shown on this response only).</summary>
    public (string Username, string Password)? Created { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) => Operators = await _operators.ListAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var password = PasswordHasher.GenerateOneTimePassword();
        var v = new Validator();
        var (username, displayName, roles) = OperatorInput.ValidateNew(v, Username, DisplayName, Roles, password);
        if (v.IsValid && await _operators.CreateAsync(Actor, username!, displayName!, roles!, password, cancellationToken) is null)
        {
            v.Add("username", $"operator '{username}' already exists", "exists");
        }

        if (!v.IsValid)
        {
            Show(v);
        }
        else
        {
            Created = (username!, password);
            (Username, DisplayName, Roles) = (null, null, []);
        }

        Operators = await _operators.ListAsync(cancellationToken);
        return Page();
    }
}
