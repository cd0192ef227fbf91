using System.Net;
using System.Net.Http.Json;
using System.Text;
using Gateway.Service.Api;

namespace Gateway.Service.Tests.Api;

/// <summary>/api/holders over real HTTP on a real SQLite file.</summary>
public sealed class HolderApiTests
{
    private const string FullId = "110101199003071234";

    [Fact]
    public async Task Create_WithIdDocument_StoresOnlyLastFour_FullNumberNowhereOnDisk()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        var holder = await FrontDeskHost.CreateHolderAsync(host.Client, idNumber: FullId);

        Assert.Equal("****1234", holder.GetProperty("idDocument").GetString());
        Assert.Equal("3-2-1201", holder.GetProperty("unitAddress").GetString());
        Assert.DoesNotContain(FullId, holder.GetRawText(), StringComparison.Ordinal);

        // Every byte the database holds (main file and WAL), and the logs folder if any.
        var files = Directory.GetFiles(Path.GetDirectoryName(host.Database.Path)!, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var bytes = await ReadSharedAsync(file);
            Assert.DoesNotContain(FullId, Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
            Assert.DoesNotContain("11010119900307", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        }
    }

    public static TheoryData<string, string> BadCreates() => new()
    {
        { "{}", ProblemTypes.ValidationFailed },
        { """{"building":"3","unit":"2","room":"1201"}""", ProblemTypes.ValidationFailed },
        { """{"name":"  ","building":"3","unit":"2","room":"1201"}""", ProblemTypes.ValidationFailed },
        { $$"""{"name":"{{new string('x', 65)}}","building":"3","unit":"2","room":"1201"}""", ProblemTypes.ValidationFailed },
        { """{"name":"A","building":"3 ","unit":"2","room":"1201"}""", ProblemTypes.ValidationFailed },
        { """{"name":"A","building":"3","unit":"2"}""", ProblemTypes.ValidationFailed },
        { """{"name":"A","building":"3","unit":"2","room":"12345678901234567"}""", ProblemTypes.ValidationFailed },
        { """{"name":"A","building":"3","unit":"2","room":"1201","phone":"call me"}""", ProblemTypes.ValidationFailed },
        { """{"name":"A","building":"3","unit":"2","room":"1201","email":"nobody"}""", ProblemTypes.ValidationFailed },
        { """{"name":"A","building":"3","unit":"2","room":"1201","idDocumentNumber":"12-34"}""", ProblemTypes.ValidationFailed },
        { """{"name":"A\u0007","building":"3","unit":"2","room":"1201"}""", ProblemTypes.ValidationFailed },
        { """{"name":5,"building":"3","unit":"2","room":"1201"}""", ProblemTypes.MalformedRequest },
        { """{"name":"A","building":3,"unit":"2","room":"1201"}""", ProblemTypes.MalformedRequest },
        { """{"name":"A","building":"3","unit":"2","room":"1201","age":40}""", ProblemTypes.MalformedRequest },
        { """["A"]""", ProblemTypes.MalformedRequest },
        { "name=A", ProblemTypes.MalformedRequest },
    };

    [Theory]
    [MemberData(nameof(BadCreates))]
    public async Task Create_BadInput_Is400Problem_AndWritesNothing(string body, string type)
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        var before = host.Snapshot();
        using var response = await host.Client.PostAsync(new Uri("api/holders", UriKind.Relative), ApiTestHost.RawJson(body));
        await ApiTestHost.AssertProblemAsync(response, 400, type);
        Assert.Equal(before, host.Snapshot());
    }

    [Fact]
    public async Task Create_ManyBadFields_ListsEachField()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        using var response = await host.Client.PostAsync(new Uri("api/holders", UriKind.Relative), ApiTestHost.RawJson("""{"phone":"x","idDocumentNumber":"1"}"""));
        var problem = await ApiTestHost.AssertProblemAsync(response, 400, ProblemTypes.ValidationFailed);
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "name", "building", "unit", "room", "phone", "idDocumentNumber" })
        {
            Assert.True(errors.TryGetProperty(field, out _), field);
        }
    }

    [Fact]
    public async Task List_FiltersByUnitAndName_AndPaginatesByKey()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        await FrontDeskHost.CreateHolderAsync(host.Client, "Li Wei", "3", "2", "1201");
        await FrontDeskHost.CreateHolderAsync(host.Client, "Wang Fang", "3", "2", "1201");
        await FrontDeskHost.CreateHolderAsync(host.Client, "Zhang San", "5", "1", "0301");

        var first = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/holders?limit=2", UriKind.Relative)));
        Assert.Equal(2, first.GetProperty("items").GetArrayLength());
        var next = first.GetProperty("next").GetInt64();
        var second = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri($"api/holders?limit=2&after={next}", UriKind.Relative)));
        Assert.Equal("Zhang San", Assert.Single(second.GetProperty("items").EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, second.GetProperty("next").ValueKind);

        var unit = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/holders?unit=3-2-1201", UriKind.Relative)));
        Assert.Equal(2, unit.GetProperty("items").GetArrayLength());
        var name = await ApiTestHost.ReadJsonAsync(await host.Client.GetAsync(new Uri("api/holders?name=fang", UriKind.Relative)));
        Assert.Equal("Wang Fang", Assert.Single(name.GetProperty("items").EnumerateArray()).GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("api/holders?limit=0")]
    [InlineData("api/holders?limit=501")]
    [InlineData("api/holders?after=-1")]
    [InlineData("api/holders?unit=3-2")]
    [InlineData("api/holders?building=a%20b")]
    public async Task List_BadQuery_Is400ValidationProblem(string path)
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        await ApiTestHost.AssertProblemAsync(await host.Client.GetAsync(new Uri(path, UriKind.Relative)), 400, ProblemTypes.ValidationFailed);
    }

    [Theory]
    [InlineData("api/holders?limit=ten")]
    [InlineData("api/holders/abc")]
    public async Task List_WrongTypeInQueryOrRoute_Is400Malformed(string path)
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        await ApiTestHost.AssertProblemAsync(await host.Client.GetAsync(new Uri(path, UriKind.Relative)), 400, ProblemTypes.MalformedRequest);
    }

    [Fact]
    public async Task Patch_ChangesSentFieldsOnly_UnknownHolderIs404()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        var holder = await FrontDeskHost.CreateHolderAsync(host.Client, idNumber: FullId);
        var id = holder.GetProperty("id").GetInt64();

        using var patch = await host.Client.PatchAsJsonAsync(new Uri($"api/holders/{id}", UriKind.Relative), new { phone = "13900000000", room = "1202" });
        var updated = await ApiTestHost.ReadJsonAsync(patch);
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        Assert.Equal("13900000000", updated.GetProperty("phone").GetString());
        Assert.Equal("3-2-1202", updated.GetProperty("unitAddress").GetString());
        Assert.Equal("Li Wei", updated.GetProperty("name").GetString());
        Assert.Equal("****1234", updated.GetProperty("idDocument").GetString());

        using var missing = await host.Client.PatchAsJsonAsync(new Uri("api/holders/999", UriKind.Relative), new { phone = "13900000000" });
        await ApiTestHost.AssertProblemAsync(missing, 404, ProblemTypes.NotFound);
        await ApiTestHost.AssertProblemAsync(await host.Client.GetAsync(new Uri("api/holders/999", UriKind.Relative)), 404, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task Policies_FinanceMayNotTouchHolders_FrontDeskMay()
    {
        await using var host = await FrontDeskHost.StartAsync(new FakeEncoder());
        using var finance = host.CreateClient(FrontDeskHost.FinanceToken);
        using var desk = host.CreateClient(FrontDeskHost.DeskToken);
        using var anonymous = host.CreateClient(null);

        await ApiTestHost.AssertProblemAsync(await finance.GetAsync(new Uri("api/holders", UriKind.Relative)), 403, ProblemTypes.Forbidden);
        await ApiTestHost.AssertProblemAsync(await finance.PostAsJsonAsync(new Uri("api/holders", UriKind.Relative), new { name = "A", building = "3", unit = "2", room = "1" }), 403, ProblemTypes.Forbidden);
        await ApiTestHost.AssertProblemAsync(await anonymous.GetAsync(new Uri("api/holders", UriKind.Relative)), 401, ProblemTypes.Unauthorized);
        Assert.Equal(0, host.Count("holders"));

        var created = await FrontDeskHost.CreateHolderAsync(desk);
        Assert.True(created.GetProperty("id").GetInt64() > 0);
    }

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var memory = new MemoryStream();
        await stream.CopyToAsync(memory);
        return memory.ToArray();
    }
}
