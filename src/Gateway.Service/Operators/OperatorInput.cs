using Gateway.Service.Api;

namespace Gateway.Service.Operators;

/// <summary>The rules of a new operator's fields, shared by <c>POST /api/operators</c> and the console's operators page.</summary>
public static class OperatorInput
{
    /// <summary>Checks a new operator; returns the roles, sorted and without repeats (null with the errors in <paramref name="v"/>).</summary>
    public static (string? Username, string? DisplayName, List<string>? Roles) ValidateNew(Validator v, string? username, string? displayName, IReadOnlyList<string>? roles, string? password)
    {
        var name = v.Pattern("username", username, OperatorStore.UsernamePattern(), "must be 2-32 characters: lower-case letters, digits, '.', '_', '-', starting with a letter or digit", code: "username");
        if (name is not null && OperatorStore.ReservedIds.Contains(name))
        {
            v.Add("username", "is reserved", "reserved");
        }

        var display = v.Text("displayName", displayName, 100);
        var checkedRoles = Roles(v, roles, required: true);
        Password(v, name ?? string.Empty, password, required: true);
        return (name, display, checkedRoles);
    }

    /// <summary>One or more known roles, sorted and without repeats; null when not given or wrong.</summary>
    public static List<string>? Roles(Validator v, IReadOnlyList<string>? roles, bool required)
    {
        if (roles is null)
        {
            if (required)
            {
                v.Add("roles", "is required", "required");
            }

            return null;
        }

        if (roles.Count == 0 || roles.Any(r => !GatewayRoles.All.Contains(r)))
        {
            v.Add("roles", $"must be one or more of: {string.Join(", ", GatewayRoles.All)}", "roles");
            return null;
        }

        return roles.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>A password that <see cref="OperatorStore.CheckPasswordRule"/> accepts.</summary>
    public static void Password(Validator v, string username, string? password, bool required)
    {
        if (password is null)
        {
            if (required)
            {
                v.Add("password", "is required", "required");
            }

            return;
        }

        if (OperatorStore.CheckPasswordRule(username, password) is { } rule)
        {
            v.Add("password", rule, "password-rule");
        }
    }
}
