namespace Gateway.Service.Console;

/// <summary>
/// An amount in capital Chinese numerals as receipts write it (大写金额), so a figure cannot be altered by
/// adding a stroke: 30000 fen is 叁佰元整, 123456 fen is 壹仟贰佰叁拾肆元伍角陆分, 100005 fen is 壹仟元零伍分.
/// </summary>
public static class ChineseAmount
{
    private const string Digits = "零壹贰叁肆伍陆柒捌玖";
    private static readonly string[] Small = ["", "拾", "佰", "仟"];
    private static readonly string[] Groups = ["", "万", "亿", "万亿"];

    /// <summary>The capital form of <paramref name="fen"/> (0 ≤ fen, below 10^16 yuan).</summary>
    public static string Of(long fen)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fen);
        var yuan = fen / 100;
        var jiao = (int)(fen / 10 % 10);
        var cents = (int)(fen % 10);
        var text = yuan == 0 ? string.Empty : Integer(yuan) + "元";
        if (jiao == 0 && cents == 0)
        {
            return (text.Length == 0 ? "零元" : text) + "整";
        }

        if (jiao != 0)
        {
            text += Digits[jiao] + "角";
        }
        else if (text.Length > 0)
        {
            text += "零";
        }

        if (cents != 0)
        {
            text += Digits[cents] + "分";
        }

        return text;
    }

    /// <summary>A whole number, four digits a group (个/万/亿), one 零 for each run of zeros inside it.</summary>
    private static string Integer(long value)
    {
        var groups = new List<int>();
        for (var v = value; v > 0; v /= 10_000)
        {
            groups.Add((int)(v % 10_000));
        }

        var text = string.Empty;
        var zero = false;
        for (var g = groups.Count - 1; g >= 0; g--)
        {
            var group = groups[g];
            if (group == 0)
            {
                zero = text.Length > 0;
                continue;
            }

            if (text.Length > 0 && (zero || group < 1000))
            {
                text += "零";
            }

            zero = false;
            var inner = string.Empty;
            var innerZero = false;
            for (var i = 3; i >= 0; i--)
            {
                var d = group / (int)Math.Pow(10, i) % 10;
                if (d == 0)
                {
                    innerZero = inner.Length > 0;
                    continue;
                }

                if (innerZero)
                {
                    inner += "零";
                    innerZero = false;
                }

                inner += Digits[d] + Small[i];
            }

            text += inner + Groups[g];
        }

        return text;
    }
}
