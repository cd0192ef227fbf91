using System.CommandLine;

namespace Gateway.Cli;

/// <summary>Options shared by many commands.</summary>
public static class CommonOptions
{
    /// <summary>Print one JSON object on stdout instead of text for people.</summary>
    public static Option<bool> Json() => new("--json") { Description = "Print one JSON object on stdout (for scripts)" };

    /// <summary>
    /// The service's base URL: --server, else GATEWAY_SERVER, else the server saved by
    /// <c>gatewayctl login</c>, else http://127.0.0.1:5080.
    /// </summary>
    public static Option<string> Server() => new("--server")
    {
        Description = "Base URL of the Gateway service (default: $GATEWAY_SERVER, the server saved by 'gatewayctl login', or http://127.0.0.1:5080)",
        DefaultValueFactory = _ => Api.TokenStore.DefaultServer(),
    };
}
