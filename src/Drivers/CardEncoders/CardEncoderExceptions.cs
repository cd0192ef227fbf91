namespace Gateway.Drivers.CardEncoders;

/// <summary>Base of the card encoder's errors; <see cref="DeviceException.Device"/> is the encoder's serial port.</summary>
public class CardEncoderException : DeviceException
{
    public CardEncoderException(string port, string message, Exception? innerException = null)
        : base(port, message, innerException)
    {
    }
}

/// <summary>No card on the encoder (none came within the wait, or the card was taken away mid-operation).</summary>
public sealed class CardNotPresentException : CardEncoderException
{
    public CardNotPresentException(string port, string message)
        : base(port, message)
    {
    }
}

/// <summary>More than one card is on the encoder; the operator must leave exactly one.</summary>
public sealed class MultipleCardsException : CardEncoderException
{
    public MultipleCardsException(string port, int count)
        : base(port, $"{count} cards are on the encoder; leave exactly one")
    {
        Count = count;
    }

    public int Count { get; }
}

/// <summary>A sector refused every key Gateway may use on it.</summary>
public sealed class CardAuthenticationException : CardEncoderException
{
    public CardAuthenticationException(string port, string cardUid, int sector, string message)
        : base(port, message)
    {
        CardUid = cardUid;
        Sector = sector;
    }

    public string CardUid { get; }

    public int Sector { get; }
}

/// <summary>A block could not be written, or did not read back as written.</summary>
public sealed class CardWriteException : CardEncoderException
{
    public CardWriteException(string port, string cardUid, int block, string message)
        : base(port, message)
    {
        CardUid = cardUid;
        Block = block;
    }

    public string CardUid { get; }

    public int Block { get; }
}

/// <summary>The card is readable but is not a valid Gateway card of this site; <see cref="Reason"/> says exactly why.</summary>
public sealed class NotGatewayCardException : CardEncoderException
{
    public NotGatewayCardException(string port, string cardUid, NotGatewayCardReason reason, string detail)
        : base(port, $"card {cardUid} is not a valid Gateway card of this site: {detail}")
    {
        CardUid = cardUid;
        Reason = reason;
        Detail = detail;
    }

    public string CardUid { get; }

    public NotGatewayCardReason Reason { get; }

    public string Detail { get; }
}

/// <summary>The reader did not answer, or its port is gone (unplugged); the next operation reopens it.</summary>
public sealed class EncoderNotRespondingException : CardEncoderException
{
    public EncoderNotRespondingException(string port, string message, Exception? innerException = null)
        : base(port, message, innerException)
    {
    }
}

/// <summary>Issuing refused: the card on the encoder is not blank stock (already issued, or keys of another system).</summary>
public sealed class CardNotBlankException : CardEncoderException
{
    public CardNotBlankException(string port, string cardUid, string message)
        : base(port, message)
    {
        CardUid = cardUid;
    }

    public string CardUid { get; }
}
