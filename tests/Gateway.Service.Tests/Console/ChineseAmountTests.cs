using Gateway.Service.Console;

namespace Gateway.Service.Tests.Console;

/// <summary>Amounts in capital numerals as Chinese receipts write them (大写金额).</summary>
public sealed class ChineseAmountTests
{
    [Theory]
    [InlineData(0, "零元整")]
    [InlineData(5, "伍分")]
    [InlineData(50, "伍角")]
    [InlineData(30000, "叁佰元整")]
    [InlineData(30050, "叁佰元伍角")]
    [InlineData(30005, "叁佰元零伍分")]
    [InlineData(123456, "壹仟贰佰叁拾肆元伍角陆分")]
    [InlineData(100100, "壹仟零壹元整")]
    [InlineData(101000, "壹仟零壹拾元整")]
    [InlineData(1000, "壹拾元整")]
    [InlineData(2050000, "贰万零伍佰元整")]
    [InlineData(20500000, "贰拾万伍仟元整")]
    [InlineData(100000000, "壹佰万元整")]
    [InlineData(10000100000, "壹亿零壹仟元整")]
    [InlineData(10010000000, "壹亿零壹拾万元整")]
    [InlineData(10001000000, "壹亿零壹万元整")]
    public void Of_Fen_IsTheCapitalForm(long fen, string expected) => Assert.Equal(expected, ChineseAmount.Of(fen));
}
