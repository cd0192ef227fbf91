using System.Diagnostics;
using System.Globalization;

namespace Gateway.Bench;

/// <summary>Latency samples and their summary; figures are printed, never judged.</summary>
public sealed class Stats
{
    private readonly List<double> _micros = [];

    public int Count => _micros.Count;

    public void Add(TimeSpan elapsed) => _micros.Add(elapsed.TotalMicroseconds);

    public void AddTicks(long stopwatchTicks) => _micros.Add(stopwatchTicks * 1_000_000.0 / Stopwatch.Frequency);

    public double Percentile(double p)
    {
        if (_micros.Count == 0)
        {
            return double.NaN;
        }

        var sorted = _micros.OrderBy(x => x).ToList();
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }

    public string Summary(string unit = "us")
    {
        var scale = unit == "ms" ? 1000.0 : 1.0;
        return string.Create(CultureInfo.InvariantCulture, $"n={Count} median={Percentile(50) / scale:0.0}{unit} p99={Percentile(99) / scale:0.0}{unit} min={Percentile(0) / scale:0.0}{unit}");
    }
}
