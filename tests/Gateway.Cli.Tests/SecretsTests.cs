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
