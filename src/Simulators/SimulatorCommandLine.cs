using System.Text.Json;
using Gateway.Drivers;

namespace Gateway.Simulators;

/// <summary>What the simulators' commands share: URL options and one-line errors.</summary>
public static class SimulatorCommandLine
{
    /// <summary>An http:// URL reduced to its authority, with a trailing slash.</summary>
    /// <exception cref="ArgumentException">Not an http:// URL; the message names <paramref name="option"/>.</exception>
    public static Uri ParseUrl(string text, string option) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp
            ? new Uri(uri.GetLeftPart(UriPartial.Authority) + "/")
            : throw new ArgumentException($"{option} '{text}' is not an http:// URL");

    /// <summary>Runs a command body; an expected error is one stderr line and exit code 1.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return await action();
        }
        catch (Exception ex) when (ex is DeviceException or ArgumentException or FormatException or InvalidDataException or IOException or HttpRequestException or UnauthorizedAccessException or JsonException)
        {
            await Console.Error.WriteLineAsync($"gateway-sim: {ex.Message}");
            return 1;
        }
    }
}
