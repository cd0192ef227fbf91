namespace Gateway.Testing;

/// <summary>A fact that needs Linux (pseudo-terminals, signals); elsewhere it is skipped and says why.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux: pseudo-terminals and POSIX signals are exercised for real";
        }
    }
}

/// <summary>A theory that needs Linux; elsewhere it is skipped and says why.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux: pseudo-terminals and POSIX signals are exercised for real";
        }
    }
}
