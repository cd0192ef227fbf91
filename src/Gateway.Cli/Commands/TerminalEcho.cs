using System.Runtime.InteropServices;

namespace Gateway.Cli.Commands;

/// <summary>
/// Turns the terminal's echo off for as long as a secret is typed (Linux). <c>Console.ReadKey</c>
/// switches echo off only while each call waits for a key and restores it in between, so keys typed
/// ahead of the prompt or between two reads (a paste, a fast typist) would be echoed by the terminal
/// itself. Clearing ECHO on stdin for the whole prompt closes that gap.
/// </summary>
internal static partial class TerminalEcho
{
    // struct termios on Linux (glibc, x64 and arm64): c_iflag, c_oflag, c_cflag, c_lflag (4 bytes each), c_line, c_cc[32], speeds: 60 bytes.
    private const int TermiosSize = 60;
    private const int LocalFlagsOffset = 12;
    private const uint Echo = 0x8;
    private const int SetNow = 0;

    /// <summary>Echo off on stdin until disposed; null when stdin is not a Linux terminal (nothing to do).</summary>
    public static IDisposable? Off()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var saved = new byte[TermiosSize];
        if (tcgetattr(0, saved) != 0)
        {
            return null;
        }

        var quiet = (byte[])saved.Clone();
        var flags = BitConverter.ToUInt32(quiet, LocalFlagsOffset) & ~Echo;
        BitConverter.TryWriteBytes(quiet.AsSpan(LocalFlagsOffset), flags);
        return tcsetattr(0, SetNow, quiet) == 0 ? new Restore(saved) : null;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcgetattr(int fd, [Out] byte[] termios);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcsetattr(int fd, int optionalActions, [In] byte[] termios);

    private sealed class Restore(byte[] saved) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                _ = tcsetattr(0, SetNow, saved);
            }
        }
    }
}
