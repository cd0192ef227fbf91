namespace Gateway.Cli;

/// <summary>An error to show the user as one line on stderr; the command exits with <see cref="ExitCode"/>.</summary>
public sealed class CliException : Exception
{
    public CliException(string message, int exitCode = 1, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; }

    /// <summary>The body of the service's refusal (a problem's JSON), when the service answered one.</summary>
    public string? Body { get; init; }
}

/// <summary>Runs a command body and turns every failure into one stderr line and a non-zero exit code.</summary>
public static class CliRunner
{
    public static async Task<int> RunAsync(Func<Task<int>> body, TextWriter? error = null)
    {
        error ??= Console.Error;
        try
        {
            return await body();
        }
        catch (CliException ex)
        {
            await error.WriteLineAsync($"gatewayctl: {ex.Message}");
            return ex.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("gatewayctl: cancelled");
            return 130;
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"gatewayctl: {ex.Message}");
            return 1;
        }
        catch (Gateway.Drivers.DeviceException ex)
        {
            await error.WriteLineAsync($"gatewayctl: {ex.Device}: {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or ArgumentException or InvalidOperationException or TimeoutException)
        {
            await error.WriteLineAsync($"gatewayctl: {ex.Message}");
            return 1;
        }
    }
}
