using Gateway.Service.Parking;
using Microsoft.Extensions.Configuration;

namespace Gateway.Service.Tests.Hosting;

public sealed class ParkingOptionsTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    private static IConfigurationSection Gateway(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("Gateway:" + v.Key, v.Value)))
            .Build()
            .GetSection("Gateway");

    [Fact]
    public void TryLoad_Unset_NoGraceNoProration()
    {
        Assert.True(ParkingOptions.TryLoad(Gateway(), Shanghai, out var rules, out _));
        Assert.Equal(0, rules.GraceDays);
        Assert.False(rules.ProrationAllowed);
        Assert.Same(Shanghai, rules.TimeZone);
    }

    [Fact]
    public void TryLoad_Set_ReadsBoth()
    {
        Assert.True(ParkingOptions.TryLoad(Gateway(("Parking:GraceDays", "3"), ("Parking:ProrationAllowed", "true")), Shanghai, out var rules, out _));
        Assert.Equal(3, rules.GraceDays);
        Assert.True(rules.ProrationAllowed);
    }

    [Theory]
    [InlineData("Parking:GraceDays", "-1", "Gateway:Parking:GraceDays: '-1'")]
    [InlineData("Parking:GraceDays", "32", "Gateway:Parking:GraceDays: '32' is not a whole number of days from 0 to 31")]
    [InlineData("Parking:GraceDays", "two", "Gateway:Parking:GraceDays: 'two'")]
    [InlineData("Parking:ProrationAllowed", "sometimes", "Gateway:Parking:ProrationAllowed: 'sometimes' is not true or false")]
    public void TryLoad_BadValue_NamesKey(string key, string value, string expected)
    {
        Assert.False(ParkingOptions.TryLoad(Gateway((key, value)), Shanghai, out _, out var error));
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }
}
