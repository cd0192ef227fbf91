namespace Gateway.EndToEnd.Tests;

/// <summary>
/// The crash and outage tests: each drives a bus hard (a 10,000-entry sync, a stalled encoder), so
/// they run alone, after the other end-to-end tests, and neither slows the others nor is slowed by them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CrashCollection
{
    public const string Name = "crash and outage";
}
