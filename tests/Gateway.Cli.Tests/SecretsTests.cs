using System.Diagnostics;
using System.Text;
using Gateway.Cli;
using Gateway.Cli.Commands;

namespace Gateway.Cli.Tests;

/// <summary>How gatewayctl reads passwords and tokens: hidden keys on a terminal, one line from a pipe.</summary>
public sealed class SecretsTests
{
    // Never set: the tests read from the terminal or the pipe, not from the environment.
    private const string Unset = "GATEWAY_TEST_SECRET_NEVER_SET";

    [Fact]
    public async Task ReadAsync_Terminal_ReadsInterceptedKeys_ShowsOnlyPromptAndNewline()
    {
        var keys = Keys("s3cre", '\b', "et-x", '\b', '\b', "X", ConsoleKey.Enter);
        using var prompts = new StringWriter();
        using var input = new StringReader("from-the-pipe\n");

        var secret = await Secrets.ReadAsync(Unset, "password", interactive: true, input, keys.Dequeue, prompts, CancellationToken.None);

        Assert.Equal("s3cretX", secret);
        Assert.Equal("password: " + Environment.NewLine, prompts.ToString());
        Assert.Empty(keys);
        Assert.Equal("from-the-pipe", await input.ReadLineAsync());
    }

    [Fact]
    public async Task ReadAsync_RedirectedInput_ReadsOneLine_NoPromptNoKeys()
    {
        using var prompts = new StringWriter();
        using var input = new StringReader("pass word with spaces\nnext line\n");

        var secret = await Secrets.ReadAsync(Unset, "password", interactive: false, input, () => throw new InvalidOperationException("no terminal"), prompts, CancellationToken.None);

        Assert.Equal("pass word with spaces", secret);
        Assert.Equal(string.Empty, prompts.ToString());
        Assert.Equal("next line", await input.ReadLineAsync());
    }

    [Fact]
    public async Task ReadAsync_RedirectedEmptyInput_ThrowsNamingTheVariable()
    {
        using var prompts = new StringWriter();
        var error = await Assert.ThrowsAsync<CliException>(() => Secrets.ReadAsync(Unset, "password", interactive: false, new StringReader(string.Empty), () => default, prompts, CancellationToken.None));
        Assert.Contains(Unset, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadHidden_ControlKeys_EditTheLineOrAreIgnored()
    {
        // DEL (what most terminals send for Backspace), Ctrl+U clears, arrows and Escape are ignored,
        // a surrogate pair goes with one Backspace, Ctrl+D ends like Enter.
        var keys = Keys("wrong", '\u0015', "ab", '\u007f', ConsoleKey.LeftArrow, '\u001b', "c\U0001F511", '\b', "d", '\u0004', "ignored");
        Assert.Equal("acd", Secrets.ReadHidden(keys.Dequeue, CancellationToken.None));
        Assert.Equal("ignored".Length, keys.Count);
    }

    [LinuxFact]
    public async Task Login_OnARealTerminal_PasswordIsNotEchoed()
    {
        // gatewayctl on the slave side of a pseudo-terminal (util-linux script), its output copied to us:
        // whatever the terminal echoes would appear there. The server does not exist: the login fails after reading.
        const string Password = "hunter2-never-shown";
        var command = $"dotnet {RepoPaths.Cli} login --server http://127.0.0.1:9 --user clerk";
        var info = new ProcessStartInfo("script", ["-qec", command, "/dev/null"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["GATEWAY_PASSWORD"] = null;
        info.Environment["GATEWAY_CREDENTIALS"] = Path.Combine(Path.GetTempPath(), $"gatewayctl-tty-{Guid.NewGuid():N}.json");
        info.Environment["TERM"] = "xterm";
        using var process = Process.Start(info)!;
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = new StringBuilder();
        var buffer = new char[256];
        try
        {
            // Type only once the prompt is shown: keys typed earlier would be echoed by the terminal before gatewayctl could stop it.
            while (!output.ToString().Contains("password: ", StringComparison.Ordinal))
            {
                var n = await process.StandardOutput.ReadAsync(buffer, bound.Token);
                Assert.True(n > 0, "gatewayctl ended before prompting: " + output);
                output.Append(buffer, 0, n);
            }

            await process.StandardInput.WriteAsync(Password + "\r");
            await process.StandardInput.FlushAsync(bound.Token);
            output.Append(await process.StandardOutput.ReadToEndAsync(bound.Token));
            await process.WaitForExitAsync(bound.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var text = output.ToString();
        Assert.Contains("cannot reach the service", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
    }

    private static Queue<ConsoleKeyInfo> Keys(params object[] typed)
    {
        var keys = new Queue<ConsoleKeyInfo>();
        foreach (var item in typed)
        {
            switch (item)
            {
                case string text:
                    foreach (var c in text)
                    {
                        keys.Enqueue(new ConsoleKeyInfo(c, 0, false, false, false));
                    }

                    break;
                case char c:
                    keys.Enqueue(new ConsoleKeyInfo(c, c == '\b' ? ConsoleKey.Backspace : 0, false, false, c is '\u0015' or '\u0004'));
                    break;
                case ConsoleKey key:
                    keys.Enqueue(new ConsoleKeyInfo(key == ConsoleKey.Enter ? '\r' : '\0', key, false, false, false));
                    break;
            }
        }

        return keys;
    }
}
