namespace Gateway.Simulators.Tests;

public class SimulatorCliTests
{
    [Fact]
    public async Task Help_DescribesTheSimulator()
    {
        var (code, stdout, _) = await ChildProcess.RunDotnetAsync(RepoPaths.Simulator, ["--help"], TimeSpan.FromSeconds(60));
        Assert.Equal(0, code);
        Assert.Contains("gateway-sim", stdout, StringComparison.Ordinal);
    }
}
