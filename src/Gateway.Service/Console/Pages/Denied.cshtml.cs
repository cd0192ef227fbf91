using Gateway.Service.Api;
using Microsoft.AspNetCore.Authorization;

namespace Gateway.Service.Console.Pages;

/// <summary>Where a page the operator's roles do not allow leads (403).</summary>
[Authorize(Policy = GatewayPolicies.Authenticated)]
public sealed class DeniedModel : ConsolePage
{
    public void OnGet() => Response.StatusCode = StatusCodes.Status403Forbidden;
}
