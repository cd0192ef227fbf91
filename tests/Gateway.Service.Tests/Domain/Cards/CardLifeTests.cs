using Gateway.Service.Domain;
using Gateway.Service.Domain.Cards;

namespace Gateway.Service.Tests.Domain.Cards;

/// <summary>The card life, exhaustively: every (state, action) pair is either the diagram's transition or a refusal.</summary>
public sealed class CardLifeTests
{
    // The diagram of DESIGN.md "Card life", written out independently of CardLife.AllowedFrom.
    private static readonly Dictionary<(CardState, CardAction), CardState> Diagram = new()
    {
        [(CardState.InStock, CardAction.Issue)] = CardState.Issued,
        [(CardState.Issued, CardAction.ReportLost)] = CardState.Lost,
        [(CardState.Lost, CardAction.Found)] = CardState.Issued,
        [(CardState.Issued, CardAction.Revoke)] = CardState.Revoked,
        [(CardState.Revoked, CardAction.Return)] = CardState.Returned,
        [(CardState.Issued, CardAction.MarkDamaged)] = CardState.Damaged,
        [(CardState.Damaged, CardAction.WriteOff)] = CardState.WrittenOff,
        [(CardState.Returned, CardAction.Recycle)] = CardState.InStock,
        [(CardState.Issued, CardAction.Replace)] = CardState.Lost,
        [(CardState.Lost, CardAction.Replace)] = CardState.Lost,
    };

    public static TheoryData<CardState, CardAction> EveryPair()
    {
        var data = new TheoryData<CardState, CardAction>();
        foreach (var state in Enum.GetValues<CardState>())
        {
            foreach (var action in Enum.GetValues<CardAction>())
            {
                data.Add(state, action);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Decide_EveryStateAndAction_FollowsTheDiagram(CardState state, CardAction action)
    {
        var decision = CardLife.Decide(new CardFacts(100, state), action);

        if (Diagram.TryGetValue((state, action), out var expected))
        {
            Assert.True(decision.Succeeded, decision.Refusal?.Detail);
            Assert.Equal(expected, decision.Value);
            Assert.Null(decision.Refusal);
        }
        else
        {
            Assert.False(decision.Succeeded, $"{action} from {state} must be refused");
            Assert.Equal(RefusalKind.InvalidState, decision.Refusal.Kind);
            Assert.Equal(CardLife.Name(state), decision.Refusal.State);
            Assert.Contains("card 100", decision.Refusal.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Found_AfterReplacement_GoesToReturned()
    {
        var decision = CardLife.Decide(new CardFacts(7, CardState.Lost, ReplacedBy: 8), CardAction.Found);
        Assert.True(decision.Succeeded);
        Assert.Equal(CardState.Returned, decision.Value);
    }

    [Fact]
    public void Found_BeforeReplacement_GoesBackToIssued()
    {
        Assert.Equal(CardState.Issued, CardLife.Decide(new CardFacts(7, CardState.Lost), CardAction.Found).Value);
    }

    [Theory]
    [InlineData(CardState.Issued, ReplaceReason.Lost, CardState.Lost)]
    [InlineData(CardState.Issued, ReplaceReason.Damaged, CardState.Damaged)]
    [InlineData(CardState.Lost, ReplaceReason.Lost, CardState.Lost)]
    [InlineData(CardState.Damaged, ReplaceReason.Damaged, CardState.Damaged)]
    public void DecideReplace_AllowedCases_GiveTheOldCardsState(CardState from, ReplaceReason reason, CardState to)
    {
        var decision = CardLife.DecideReplace(new CardFacts(5, from), reason);
        Assert.True(decision.Succeeded, decision.Refusal?.Detail);
        Assert.Equal(to, decision.Value);
    }

    public static TheoryData<CardState, ReplaceReason> RefusedReplacements()
    {
        var data = new TheoryData<CardState, ReplaceReason>();
        foreach (var state in Enum.GetValues<CardState>())
        {
            foreach (var reason in Enum.GetValues<ReplaceReason>())
            {
                var allowed = (state, reason) is (CardState.Issued, _) or (CardState.Lost, ReplaceReason.Lost) or (CardState.Damaged, ReplaceReason.Damaged);
                if (!allowed)
                {
                    data.Add(state, reason);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RefusedReplacements))]
    public void DecideReplace_EveryOtherStateOrMismatchedReason_IsRefused(CardState from, ReplaceReason reason)
    {
        var decision = CardLife.DecideReplace(new CardFacts(5, from), reason);
        Assert.False(decision.Succeeded);
        Assert.NotNull(decision.Refusal);
    }

    [Theory]
    [InlineData(CardState.Issued)]
    [InlineData(CardState.Lost)]
    [InlineData(CardState.Damaged)]
    public void DecideReplace_AlreadyReplaced_IsRefused(CardState from)
    {
        var decision = CardLife.DecideReplace(new CardFacts(5, from, ReplacedBy: 6), ReplaceReason.Lost);
        Assert.False(decision.Succeeded);
        Assert.Contains("already replaced by card 6", decision.Refusal.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void CardNumber_ReachesAnotherHolder_OnlyThroughRecycle()
    {
        // From every state, the only way back to InStock (where Issue starts) is Recycle.
        foreach (var state in Enum.GetValues<CardState>())
        {
            foreach (var action in Enum.GetValues<CardAction>())
            {
                var decision = CardLife.Decide(new CardFacts(1, state), action);
                if (decision.Succeeded && decision.Value == CardState.InStock)
                {
                    Assert.Equal(CardAction.Recycle, action);
                }
            }
        }

        Assert.Equal([CardState.InStock], CardLife.AllowedFrom[CardAction.Issue]);
    }

    [Theory]
    [InlineData(CardState.Issued, true, false)]
    [InlineData(CardState.Lost, false, true)]
    [InlineData(CardState.Revoked, false, true)]
    [InlineData(CardState.Damaged, false, true)]
    [InlineData(CardState.InStock, false, false)]
    [InlineData(CardState.Returned, false, false)]
    [InlineData(CardState.WrittenOff, false, false)]
    public void ActiveAndBlocked_ByState(CardState state, bool active, bool blocked)
    {
        Assert.Equal(active, CardLife.IsActive(state));
        Assert.Equal(blocked, CardLife.IsBlocked(state));
    }
}
