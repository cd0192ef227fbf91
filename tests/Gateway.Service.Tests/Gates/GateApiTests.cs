using Gateway.Service.Api;
using Gateway.Service.Tests.Api;

namespace Gateway.Service.Tests.Gates;

/// <summary>
/// <c>POST /api/devices/{id}/lanes/{lane}/open</c> and <c>GET /api/gate-openings</c> over real HTTP: the roles
/// of DESIGN.md's table enforced by the server (front desk and admin open; the parking authorizer and finance
/// do not), bad input and a controller that cannot be reached refused with nothing written. (The opening
/// itself, through a running engine and a simulated controller, is in <see cref="GateOpeningTests"/>.)
/// </summary>
public sealed class GateApiTests
{
    [Theory]
    [InlineData(FrontDeskHost.FinanceToken)]
    [InlineData(FrontDeskHost.AuthorizerToken)]
    public async Task Open_RoleWithoutGates_Forbidden_NothingWritten(string token)
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        using var client = host.CreateClient(token);
        var before = host.Snapshot();

        using var response = await FrontDeskHost.PostAsync(client, "api/devices/gate-1/lanes/1/open", new { reason = "emergency" });

        await ApiTestHost.AssertProblemAsync(response, 403, ProblemTypes.Forbidden);
        Assert.Equal(before, host.Snapshot());
    }

    [Theory]
    [InlineData(FrontDeskHost.DeskToken)]
    [InlineData(ApiTestHost.AdminToken)]
    public async Task Open_DeskOrAdmin_PassesThePolicy_ControllerNotConnected_Is503_NothingWritten(string token)
    {
        // The in-process host builds the sync engine without running it: no controller is connected.
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        using var client = host.CreateClient(token);
        var before = host.Snapshot();

        using var response = await FrontDeskHost.PostAsync(client, "api/devices/gate-1/lanes/1/open", new { reason = "visitor without a card" });
        using var unknown = await FrontDeskHost.PostAsync(client, "api/devices/nowhere/lanes/1/open", new { reason = "visitor without a card" });

        await ApiTestHost.AssertProblemAsync(response, 503, "urn:gateway:problem:unavailable");
        await ApiTestHost.AssertProblemAsync(unknown, 404, ProblemTypes.NotFound);
        Assert.Equal(before, host.Snapshot());
        Assert.Equal(0, host.Count("gate_openings"));
    }

    [Theory]
    [InlineData("api/devices/gate-1/lanes/1/open", """{}""")]
    [InlineData("api/devices/gate-1/lanes/1/open", """{"reason":"   "}""")]
    [InlineData("api/devices/gate-1/lanes/0/open", """{"reason":"emergency"}""")]
    [InlineData("api/devices/gate-1/lanes/256/open", """{"reason":"emergency"}""")]
    public async Task Open_BadInput_Is400_NothingWritten(string path, string body)
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        using var client = host.CreateClient(FrontDeskHost.DeskToken);
        var before = host.Snapshot();

        using var response = await FrontDeskHost.PostAsync(client, path, body);

        await ApiTestHost.AssertProblemAsync(response, 400, ProblemTypes.ValidationFailed);
        Assert.Equal(before, host.Snapshot());
    }

    [Fact]
    public async Task Openings_ReadByDesk_NotByFinance()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        using var desk = host.CreateClient(FrontDeskHost.DeskToken);
        using var finance = host.CreateClient(FrontDeskHost.FinanceToken);

        using var list = await desk.GetAsync(new Uri("api/gate-openings", UriKind.Relative));
        using var one = await desk.GetAsync(new Uri("api/gate-openings/1", UriKind.Relative));
        using var forbidden = await finance.GetAsync(new Uri("api/gate-openings", UriKind.Relative));

        var body = await ApiTestHost.ReadJsonAsync(list);
        Assert.Equal(0, body.GetProperty("items").GetArrayLength());
        await ApiTestHost.AssertProblemAsync(one, 404, ProblemTypes.NotFound);
        await ApiTestHost.AssertProblemAsync(forbidden, 403, ProblemTypes.Forbidden);
    }
}
