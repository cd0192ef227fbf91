namespace Gateway.Drivers.CardEncoders.Pcsc;

/// <summary>
/// The PC/SC return codes Gateway tells apart (the same numbers in pcsc-lite's PCSC/pcsclite.h and
/// Microsoft's winerror.h), with their names for messages.
/// </summary>
internal static class PcscError
{
    public const uint Success = 0;
    public const uint Cancelled = 0x80100002;
    public const uint InvalidHandle = 0x80100003;
    public const uint InsufficientBuffer = 0x80100008;
    public const uint UnknownReader = 0x80100009;
    public const uint Timeout = 0x8010000A;
    public const uint SharingViolation = 0x8010000B;
    public const uint NoSmartcard = 0x8010000C;
    public const uint ProtoMismatch = 0x8010000F;
    public const uint NotReady = 0x80100010;
    public const uint CommError = 0x80100013;
    public const uint NotTransacted = 0x80100016;
    public const uint ReaderUnavailable = 0x80100017;
    public const uint NoService = 0x8010001D;
    public const uint ServiceStopped = 0x8010001E;
    public const uint NoReadersAvailable = 0x8010002E;
    public const uint CommDataLost = 0x8010002F;
    public const uint UnresponsiveCard = 0x80100066;
    public const uint UnpoweredCard = 0x80100067;
    public const uint ResetCard = 0x80100068;
    public const uint RemovedCard = 0x80100069;

    /// <summary>True when the code says the card is not (or no longer) in the reader's field.</summary>
    public static bool IsCardGone(uint code) => code is NoSmartcard or RemovedCard or UnpoweredCard or UnresponsiveCard;

    /// <summary>True when the code says the reader or the resource manager is gone or failing.</summary>
    public static bool IsReaderGone(uint code) => code is UnknownReader or ReaderUnavailable or NoService or ServiceStopped or NoReadersAvailable or InvalidHandle or CommError or NotReady or CommDataLost;

    /// <summary>"SCARD_W_REMOVED_CARD (0x80100069)", or the bare number for a code not listed here.</summary>
    public static string Describe(uint code) => code switch
    {
        Success => "SCARD_S_SUCCESS",
        Cancelled => "SCARD_E_CANCELLED (0x80100002)",
        InvalidHandle => "SCARD_E_INVALID_HANDLE (0x80100003)",
        InsufficientBuffer => "SCARD_E_INSUFFICIENT_BUFFER (0x80100008)",
        UnknownReader => "SCARD_E_UNKNOWN_READER (0x80100009)",
        Timeout => "SCARD_E_TIMEOUT (0x8010000A)",
        SharingViolation => "SCARD_E_SHARING_VIOLATION (0x8010000B): another program holds the card exclusively",
        NoSmartcard => "SCARD_E_NO_SMARTCARD (0x8010000C): no card in the reader",
        ProtoMismatch => "SCARD_E_PROTO_MISMATCH (0x8010000F)",
        NotReady => "SCARD_E_NOT_READY (0x80100010)",
        CommError => "SCARD_F_COMM_ERROR (0x80100013)",
        NotTransacted => "SCARD_E_NOT_TRANSACTED (0x80100016): the reader did not complete the exchange",
        ReaderUnavailable => "SCARD_E_READER_UNAVAILABLE (0x80100017): the reader is gone (unplugged?)",
        NoService => "SCARD_E_NO_SERVICE (0x8010001D): the PC/SC service is not running (Linux: pcscd)",
        ServiceStopped => "SCARD_E_SERVICE_STOPPED (0x8010001E): the PC/SC service stopped",
        NoReadersAvailable => "SCARD_E_NO_READERS_AVAILABLE (0x8010002E): no reader is connected",
        CommDataLost => "SCARD_E_COMM_DATA_LOST (0x8010002F)",
        UnresponsiveCard => "SCARD_W_UNRESPONSIVE_CARD (0x80100066): the card does not answer",
        UnpoweredCard => "SCARD_W_UNPOWERED_CARD (0x80100067)",
        ResetCard => "SCARD_W_RESET_CARD (0x80100068): another program reset the card",
        RemovedCard => "SCARD_W_REMOVED_CARD (0x80100069): the card was taken off the reader",
        _ => $"0x{code:X8}",
    };
}

/// <summary>
/// A PC/SC call failed. Raised by the thin interop layer only; the block transport translates it into
/// the encoder's exceptions, so it never leaves the driver.
/// </summary>
internal sealed class PcscException : Exception
{
    public PcscException(string function, uint code)
        : base($"{function}: {PcscError.Describe(code)}")
    {
        Function = function;
        Code = code;
    }

    public PcscException(string function, string message, Exception? innerException = null)
        : base($"{function}: {message}", innerException)
    {
        Function = function;
        Code = PcscError.NoService;
    }

    /// <summary>The SCard function that failed.</summary>
    public string Function { get; }

    /// <summary>Its return code (SCARD_E_*, SCARD_W_*), low 32 bits.</summary>
    public uint Code { get; }
}
