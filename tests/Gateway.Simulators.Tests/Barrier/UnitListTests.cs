using Gateway.Simulators.Barrier;

namespace Gateway.Simulators.Tests.Barrier;

public sealed class UnitListTests
{
    [Theory]
    [InlineData("1", new byte[] { 1 })]
    [InlineData("1-8", new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 })]
    [InlineData("1,3,5", new byte[] { 1, 3, 5 })]
    [InlineData("5, 1-2 ,247", new byte[] { 1, 2, 5, 247 })]
    public void Parse_ValidList_UnitsInOrder(string text, byte[] expected)
    {
        Assert.Equal(expected, UnitList.Parse(text));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("248")]
    [InlineData("3-1")]
    [InlineData("1,1")]
    [InlineData("a")]
    [InlineData("")]
    [InlineData("1-")]
    public void Parse_Invalid_ThrowsFormatException(string text)
    {
        Assert.Throws<FormatException>(() => UnitList.Parse(text));
    }
}
