using Gateway.Service.Domain.Holders;

namespace Gateway.Service.Tests.Domain;

public sealed class HolderRulesTests
{
    [Theory]
    [InlineData("110101199003071234", "1234")]
    [InlineData("11010119900307123x", "123X")]
    [InlineData("E12345678", "5678")]
    public void IdDocument_LastFour_KeepsOnlyTheEnd(string number, string expected)
    {
        Assert.True(IdDocument.IsValid(number));
        Assert.Equal(expected, IdDocument.LastFour(number));
        Assert.Equal("****" + expected, IdDocument.Display(expected));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("1101 0119900307")]
    [InlineData("123456789012345678901234567890123")]
    [InlineData("11010119900307123-")]
    public void IdDocument_Malformed_IsInvalid(string number)
    {
        Assert.False(IdDocument.IsValid(number));
        Assert.Throws<ArgumentException>(() => IdDocument.LastFour(number));
    }

    [Theory]
    [InlineData("3-2-1201", "3", "2", "1201")]
    [InlineData("A-1-B2", "A", "1", "B2")]
    public void UnitAddress_Parse_RoundTrips(string text, string building, string unit, string room)
    {
        Assert.True(UnitAddress.TryParse(text, out var address));
        Assert.Equal(new UnitAddress(building, unit, room), address);
        Assert.Equal(text, address.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("3-2")]
    [InlineData("3-2-1201-9")]
    [InlineData("3--1201")]
    [InlineData("3-2-12 01")]
    [InlineData("12345678901234567-1-1")]
    public void UnitAddress_Malformed_DoesNotParse(string? text)
    {
        Assert.False(UnitAddress.TryParse(text, out _));
    }
}
