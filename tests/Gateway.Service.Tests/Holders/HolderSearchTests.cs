using Gateway.Service.Holders;
using Gateway.Service.Tests.Api;

namespace Gateway.Service.Tests.Holders;

/// <summary>The desk's holder search (<see cref="HolderWorkflow.SearchAsync"/>) on a real SQLite file: what a clerk knows of a holder finds them.</summary>
public sealed class HolderSearchTests
{
    [Fact]
    public async Task Search_ByNamePhoneDigitsUnitOrItsBeginning_FindsTheHolder_WildcardsAreLiteral()
    {
        await using var host = await ApiTestHost.StartAsync();
        foreach (var holder in new object[]
        {
            new { name = "李伟", building = "3", unit = "2", room = "1201", phone = "138 0013 8000" },
            new { name = "张敏", building = "3", unit = "1", room = "0502", phone = "+86 139-0013-9000" },
            new { name = "王伟", building = "12", unit = "2", room = "0101" },
        })
        {
            (await host.Client.PostAsync(new Uri("api/holders", UriKind.Relative), ApiTestHost.Json(holder))).EnsureSuccessStatusCode();
        }

        var holders = host.Services.GetRequiredService<HolderWorkflow>();
        async Task<string[]> Names(string text) => [.. (await holders.SearchAsync(text, 10, CancellationToken.None)).Select(h => h.Name)];

        Assert.Equal(["李伟"], await Names("13800138000"));
        Assert.Equal(["张敏"], await Names("139 0013"));
        Assert.Equal(["李伟", "王伟"], await Names("伟"));
        Assert.Equal(["李伟"], await Names("3-2-1201"));
        Assert.Equal(["李伟"], await Names("3-2"));
        Assert.Equal(["李伟", "张敏"], await Names("3"));
        Assert.Empty(await Names("3_2"));
        Assert.Empty(await Names("3%"));
        Assert.Empty(await Names("123"));
    }
}
