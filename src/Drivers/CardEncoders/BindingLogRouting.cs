using System.Text.RegularExpressions;
using Iot.Device.Common;
using Microsoft.Extensions.Logging;

namespace Gateway.Drivers.CardEncoders;

/// <summary>
/// Routes the Iot.Device.Bindings LogDispatcher into the host's logging. The binding logs whole
/// frames at Debug, authentication keys and trailer writes included, so its categories
/// (<c>Iot.Device.*</c>) are capped at Information unless <c>diagnostics</c> is set; even then,
/// the six key bytes of every MIFARE authentication (60h/61h) and the sixteen data bytes of every
/// block write (A0h) are masked before the message reaches any sink.
/// </summary>
public static partial class BindingLogRouting
{
    /// <summary>The binding's log category prefix.</summary>
    public const string CategoryPrefix = "Iot.Device";

    /// <summary>
    /// Installs the routing (process-wide: LogDispatcher is static). Pn532 objects created afterwards
    /// log through <paramref name="loggerFactory"/>; pass null to silence the binding.
    /// </summary>
    public static void Install(ILoggerFactory? loggerFactory, bool diagnostics = false)
    {
        LogDispatcher.LoggerFactory = loggerFactory is null ? null : new CappedFactory(loggerFactory, diagnostics);
    }

    /// <summary>Masks key and block-write bytes in a hex dump as the binding prints them (AA-BB-…).</summary>
    public static string Redact(string message)
    {
        message = AuthenticationBytes().Replace(message, m => m.Groups[1].Value + "-**-**-**-**-**-**");
        return WriteBytes().Replace(message, m => m.Groups[1].Value + string.Concat(Enumerable.Repeat("-**", 16)));
    }

    // 60h/61h, block, then six key bytes.
    [GeneratedRegex("\\b(6[01]-[0-9A-Fa-f]{2})(?:-(?:[0-9A-Fa-f]{2}|\\*\\*)){6}")]
    private static partial Regex AuthenticationBytes();

    // A0h, block, then sixteen data bytes (a trailer write carries both keys).
    [GeneratedRegex("\\b([Aa]0-[0-9A-Fa-f]{2})(?:-(?:[0-9A-Fa-f]{2}|\\*\\*)){1,16}")]
    private static partial Regex WriteBytes();

    private sealed class CappedFactory(ILoggerFactory inner, bool diagnostics) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public ILogger CreateLogger(string categoryName)
        {
            var logger = inner.CreateLogger(categoryName);
            return categoryName.StartsWith(CategoryPrefix, StringComparison.Ordinal) ? new CappedLogger(logger, diagnostics) : logger;
        }

        public void Dispose()
        {
            // The host owns the inner factory.
        }
    }

    private sealed class CappedLogger(ILogger inner, bool diagnostics) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => (logLevel >= LogLevel.Information || diagnostics) && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            // The binding formats its messages itself (interpolated strings): pass on only the masked text.
            var text = Redact(formatter(state, exception));
            inner.Log(logLevel, eventId, text, exception, static (s, _) => s);
        }
    }
}
