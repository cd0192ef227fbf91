namespace Gateway.Service.Tests.Api;

/// <summary>Every log line of a test host, rendered (message and exception), with its level and category.</summary>
public sealed class CapturedLog : ILoggerProvider
{
    private readonly List<(LogLevel Level, string Category, string Text)> _lines = [];

    public IReadOnlyList<(LogLevel Level, string Category, string Text)> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Everything logged, one line each.</summary>
    public string Text => string.Join("\n", Lines.Select(l => $"{l.Level} {l.Category}: {l.Text}"));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception) + (exception is null ? string.Empty : " " + exception);
            lock (owner._lines)
            {
                owner._lines.Add((logLevel, category, text));
            }
        }
    }
}
