using System.Text.Json;

namespace Gateway.Cli.Api;

/// <summary>
/// Where operator commands find their token: the <c>GATEWAY_TOKEN</c> environment variable, else the
/// file <c>gatewayctl login</c> writes (<c>$XDG_CONFIG_HOME/gateway/credentials.json</c>, default
/// <c>~/.config/gateway/credentials.json</c>; Windows <c>%APPDATA%\gateway\credentials.json</c>),
/// readable by its owner only. <c>GATEWAY_CREDENTIALS</c> overrides the file path.
/// </summary>
public static class TokenStore
{
    public const string TokenVariable = "GATEWAY_TOKEN";
    public const string FileVariable = "GATEWAY_CREDENTIALS";

    public static string FilePath
    {
        get
        {
            if (Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } explicitPath)
            {
                return explicitPath;
            }

            var root = OperatingSystem.IsWindows()
                ? Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData)
                : Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            return Path.Combine(root, "gateway", "credentials.json");
        }
    }

    /// <summary>The saved credentials, or null when there is no file.</summary>
    public static Credentials? Load()
    {
        var path = FilePath;
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Credentials>(File.ReadAllText(path), CliJson.Options);
        }
        catch (JsonException ex)
        {
            throw new CliException($"{path} is not a credentials file written by 'gatewayctl login'; run it again", 1, ex);
        }
    }

    /// <summary>GATEWAY_TOKEN, else the saved token, else null.</summary>
    public static string? Resolve() =>
        Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } token ? token : Load()?.Token;

    /// <summary>The server to use when --server is not given: GATEWAY_SERVER, else the one saved at login, else the local default.</summary>
    public static string DefaultServer() =>
        Environment.GetEnvironmentVariable("GATEWAY_SERVER") is { Length: > 0 } s ? s
        : SafeLoad()?.Server is { Length: > 0 } saved ? saved
        : "http://127.0.0.1:5080";

    /// <summary>Writes the file owner-only from its first byte (<see cref="Gateway.Shared.OwnerOnlyFile"/>), replacing the one saved before.</summary>
    public static void Save(Credentials credentials) =>
        Gateway.Shared.OwnerOnlyFile.Write(FilePath, stream => JsonSerializer.Serialize(stream, credentials, CliJson.Options));

    private static Credentials? SafeLoad()
    {
        try
        {
            return Load();
        }
        catch (CliException)
        {
            return null;
        }
    }

    /// <summary>The CA file saved at login (for an https:// server with a site CA), or null.</summary>
    public static string? SavedCaFile() => SafeLoad()?.CaFile;

    public sealed record Credentials(string Server, string Token, string OperatorId, string? CaFile = null);
}
