using System.Text;

namespace Gateway.Cli.Commands;

/// <summary>
/// Reads a secret (password, token) from an environment variable (scripts), from the terminal without
/// echo (people), or as one line of redirected stdin (pipes); never from an argument, so secrets stay out
/// of shell history and process listings.
/// </summary>
public static class Secrets
{
    public static Task<string> ReadAsync(string variable, string prompt, CancellationToken cancellationToken) =>
        ReadAsync(variable, prompt, !Console.IsInputRedirected, Console.In, () => Console.ReadKey(intercept: true), Console.Error, cancellationToken, EchoOff);

    /// <summary>
    /// The secret from <paramref name="variable"/> if set; else, when <paramref name="interactive"/>, typed
    /// keys read through <paramref name="readKey"/> (intercepted: the terminal shows nothing) after a prompt
    /// on <paramref name="prompts"/>; else one line of <paramref name="input"/>.
    /// </summary>
    /// <exception cref="CliException">No secret was given.</exception>
    internal static async Task<string> ReadAsync(string variable, string prompt, bool interactive, TextReader input, Func<ConsoleKeyInfo> readKey, TextWriter prompts, CancellationToken cancellationToken, Func<IDisposable?>? echoOff = null)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }

        string? line;
        if (interactive)
        {
            // Echo goes off before the prompt shows, so nothing typed from then on reaches the screen.
            using (echoOff?.Invoke())
            {
                await prompts.WriteAsync(prompt + ": ");
                await prompts.FlushAsync(cancellationToken);
                line = ReadHidden(readKey, cancellationToken);
            }

            // The Enter key was not echoed either: end the prompt's line.
            await prompts.WriteLineAsync();
        }
        else
        {
            line = await input.ReadLineAsync(cancellationToken);
        }

        if (string.IsNullOrEmpty(line))
        {
            throw new CliException($"no {prompt} given: pipe it on stdin or set {variable}");
        }

        return line;
    }

    private static IDisposable? EchoOff()
    {
        // Let the console take its own snapshot of the terminal first: it restores that one at exit,
        // echo included, even if the process is stopped in the middle of the prompt.
        _ = Console.KeyAvailable;
        return TerminalEcho.Off();
    }

    /// <summary>
    /// Collects typed characters until Enter (or Ctrl+D): Backspace removes the last character, Ctrl+U
    /// clears the line, other control keys (arrows, Escape, Tab) are ignored. Nothing is echoed.
    /// </summary>
    internal static string ReadHidden(Func<ConsoleKeyInfo> readKey, CancellationToken cancellationToken)
    {
        var secret = new StringBuilder();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = readKey();
            switch (key.KeyChar)
            {
                case '\r' or '\n' or '\u0004':
                    return secret.ToString();
                case '\b' or '\u007f':
                    RemoveLast(secret);
                    continue;
                case '\u0015':
                    secret.Clear();
                    continue;
            }

            if (key.Key == ConsoleKey.Enter)
            {
                return secret.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                RemoveLast(secret);
            }
            else if (key.KeyChar != '\0' && !char.IsControl(key.KeyChar))
            {
                secret.Append(key.KeyChar);
            }
        }
    }

    private static void RemoveLast(StringBuilder secret)
    {
        if (secret.Length == 0)
        {
            return;
        }

        // A character outside the BMP arrives as two keys (a surrogate pair) and goes as one.
        var remove = secret.Length >= 2 && char.IsLowSurrogate(secret[^1]) && char.IsHighSurrogate(secret[^2]) ? 2 : 1;
        secret.Remove(secret.Length - remove, remove);
    }
}
