using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Testing;

/// <summary>
/// A real child process (a built Gateway program run with `dotnet`), its output captured line by
/// line, with waits for a line or for exit. Killed on dispose if still running.
/// </summary>
public sealed partial class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly SemaphoreSlim _lineArrived = new(0);

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string StandardOutput => string.Join('\n', _stdout);

    public string StandardError => string.Join('\n', _stderr);

    /// <summary>Starts <c>dotnet DLL args...</c>.</summary>
    public static ChildProcess StartDotnet(string dll, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string?>? environment = null) =>
        Start("dotnet", [dll, .. args], workingDirectory, environment);

    /// <summary>Runs any program (a test peer such as mbpoll or a C program built by a test) to completion.</summary>
    public static async Task<(int ExitCode, string StandardOutput, string StandardError)> RunAsync(string fileName, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null, IDictionary<string, string?>? environment = null)
    {
        await using var child = Start(fileName, args, workingDirectory, environment);
        var code = await child.WaitForExitAsync(timeout);
        return (code, child.StandardOutput, child.StandardError);
    }

    /// <summary>Starts any program with its output captured line by line.</summary>
    public static ChildProcess Start(string fileName, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.OnLine(child._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(child._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs a program to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string StandardOutput, string StandardError)> RunDotnetAsync(string dll, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null, IDictionary<string, string?>? environment = null)
    {
        await using var child = StartDotnet(dll, args, workingDirectory, environment);
        var code = await child.WaitForExitAsync(timeout);
        return (code, child.StandardOutput, child.StandardError);
    }

    /// <summary>Writes <paramref name="text"/> to the child's standard input and closes it (end of input), as a pipe would.</summary>
    public async Task WriteInputAndCloseAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        _process.StandardInput.Close();
    }

    /// <summary>Waits for a stdout or stderr line matching <paramref name="pattern"/>; returns the match.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern);
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            foreach (var line in _stdout.Concat(_stderr))
            {
                var match = regex.Match(line);
                if (match.Success)
                {
                    return match;
                }
            }

            if (_process.HasExited)
            {
                // Let the last lines drain before giving up.
                await _process.WaitForExitAsync(CancellationToken.None);
                foreach (var line in _stdout.Concat(_stderr))
                {
                    var match = regex.Match(line);
                    if (match.Success)
                    {
                        return match;
                    }
                }

                throw new InvalidOperationException($"process exited with {_process.ExitCode} before printing /{pattern}/\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
            }

            try
            {
                await _lineArrived.WaitAsync(TimeSpan.FromMilliseconds(200), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no line matching /{pattern}/ within {timeout}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
            }
        }
    }

    /// <summary>Waits for exit; kills the process tree and throws if it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"process did not exit within {timeout}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }

        // The parameterless wait also drains the redirected output.
        await _process.WaitForExitAsync(CancellationToken.None);
        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal (e.g. 15 = SIGTERM, 2 = SIGINT, 9 = SIGKILL).</summary>
    public void Signal(int signal) => Signal(_process.Id, signal);

    /// <summary>Sends a POSIX signal to any process (e.g. one a child started).</summary>
    public static void Signal(int pid, int signal)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            throw new PlatformNotSupportedException("POSIX signals need Linux or macOS");
        }

        if (kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
            catch (InvalidOperationException)
            {
            }
        }

        _process.Dispose();
        _lineArrived.Dispose();
    }

    private void OnLine(ConcurrentQueue<string> queue, string? line)
    {
        if (line is null)
        {
            return;
        }

        queue.Enqueue(line);
        _lineArrived.Release();
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
