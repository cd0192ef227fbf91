using Gateway.Drivers.Barriers;
using Gateway.Drivers.Uhppote;
using Gateway.Service.Domain;
using Gateway.Service.Domain.Controllers;

namespace Gateway.Service.Tests.Domain;

public sealed class BoardNumberingTests
{
    // 04 64 E4 20 and 05 64 E4 20 differ only in the byte a Wiegand-26 reader drops: both read 10058400 there.
    private static readonly CardUid Held = CardUid.Parse("0464E420");
    private static readonly CardUid SameLow24 = CardUid.Parse("0564E420");

    private static BoardNumbering Boards(string format) =>
        new([new BoardDoor("door-b3", 1, "building-3", ReaderFormat.Parse(format)), new BoardDoor("gate-b", 1, "car-park", ReaderFormat.Default)]);

    [Fact]
    public void Check_W26DoorAndSameLow24Bits_RefusedNamingTheNumberTheDoorAndTheCard()
    {
        var refusal = Boards("w26").Check(1002, SameLow24, ["building-3", "common"], [(1001, Held)]);

        Assert.NotNull(refusal);
        Assert.Equal((RefusalKind.Conflict, BoardNumbering.CollisionCode), (refusal.Kind, refusal.Code));
        Assert.Equal("the blank on the encoder (UID 0564E420) reads as 10058400 (facility 100, number 58400) through the w26 reader of door 1 of 'door-b3', as card 1001 (UID 0464E420) does: the board could not tell them apart; take another blank", refusal.Detail);
    }

    [Fact]
    public void Check_W34Door_AllBitsKept_NoCollision() =>
        Assert.Null(Boards("w34").Check(1002, SameLow24, ["building-3", "common"], [(1001, Held)]));

    [Fact]
    public void Check_NoBoardInTheCardsZones_NotChecked() =>
        Assert.Null(Boards("w26").Check(1002, SameLow24, ["building-5", "common"], [(1001, Held)]));

    [Fact]
    public void Check_TheSameCardNumberReissued_NotACollisionWithItself() =>
        Assert.Null(Boards("w26").Check(1001, SameLow24, ["building-3"], [(1001, Held)]));

    [Fact]
    public void Check_NumberABoardCannotStore_Refused()
    {
        // 00 FF FF FF through a w34 reader is 0x00FFFFFF, one of the numbers a board cannot store.
        var refusal = Boards("w34").Check(1002, CardUid.Parse("00FFFFFF"), ["building-3"], []);

        Assert.NotNull(refusal);
        Assert.Equal(BoardNumbering.CollisionCode, refusal.Code);
        Assert.StartsWith("card 00FFFFFF reads as number 16777215 through a w34 reader, which a board cannot store (door 1 of 'door-b3')", refusal.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void None_HasNoBoards() => Assert.False(BoardNumbering.None.HasBoards);
}
