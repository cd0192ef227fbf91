using Gateway.Service.Hosting;
using Gateway.Service.Operators;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Service.Tests.Operators;

/// <summary>
/// The login rate limits with a fake clock: a lock per operator and address that never reaches the
/// operator elsewhere, the per-address limit across names, and the per-operator slow-down that bounds
/// guessing from many addresses without refusing the operator.
/// </summary>
public sealed class LoginThrottleTests
{
    private const string Attacker = "192.0.2.66";
    private const string Desk = "192.0.2.10";

    [Fact]
    public void Failed_ConsecutiveFromOneAddress_LocksThatPairOnly_UntilLockoutPasses()
    {
        var (throttle, time) = Create();
        for (var i = 1; i < 5; i++)
        {
            Assert.Null(throttle.Failed("admin", Attacker));
        }

        var until = throttle.Failed("ADMIN", Attacker);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromMinutes(15), until);
        Assert.Equal(until, throttle.LockedUntil("admin", Attacker));
        Assert.Equal(until, throttle.LockedUntil("admin"));
        Assert.Null(throttle.LockedUntil("admin", Desk));
        Assert.Null(throttle.LockedUntil("clerk", Attacker));

        time.Advance(TimeSpan.FromMinutes(15));
        Assert.Null(throttle.LockedUntil("admin", Attacker));
    }

    [Fact]
    public void Succeeded_ResetsConsecutiveFailures_ClearLiftsLocks()
    {
        var (throttle, _) = Create();
        for (var i = 0; i < 4; i++)
        {
            throttle.Failed("clerk", Desk);
        }

        throttle.Succeeded("clerk", Desk);
        for (var i = 0; i < 4; i++)
        {
            Assert.Null(throttle.Failed("clerk", Desk));
        }

        Assert.NotNull(throttle.Failed("clerk", Desk));
        throttle.Clear("clerk");
        Assert.Null(throttle.LockedUntil("clerk", Desk));
    }

    [Fact]
    public void BlockedUntil_ManyFailuresFromOneAddressAcrossNames_RefusesTheAddressOnly()
    {
        var (throttle, _) = Create();
        for (var i = 0; i < 20; i++)
        {
            Assert.Null(throttle.BlockedUntil(Attacker));
            throttle.Failed("name-" + (i % 7), Attacker);
        }

        Assert.NotNull(throttle.BlockedUntil(Attacker));
        Assert.Null(throttle.BlockedUntil(Desk));
    }

    [Fact]
    public void Failed_FromManyAddressesOfOneIpv6Slash64_CountedAsOneAddress()
    {
        var (throttle, _) = Create();

        // A host holding 2001:db8:0:1::/64 picks a new address for every guess.
        for (var i = 1; i <= 20; i++)
        {
            Assert.Null(throttle.BlockedUntil($"2001:db8:0:1::{i:x}"));
            throttle.Failed("name-" + (i % 7), $"2001:db8:0:1:{i:x}::{i:x}");
        }

        Assert.NotNull(throttle.BlockedUntil("2001:db8:0:1:ffff:ffff:ffff:ffff"));
        Assert.Null(throttle.BlockedUntil("2001:db8:0:2::1"));

        for (var i = 1; i <= 5; i++)
        {
            throttle.Failed("clerk", $"2001:db8:0:3::{i:x}");
        }

        Assert.NotNull(throttle.LockedUntil("clerk", "2001:db8:0:3::abcd"));
        Assert.Null(throttle.LockedUntil("clerk", "2001:db8:0:4::1"));
    }

    [Theory]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("::ffff:192.0.2.10", "192.0.2.10")]
    [InlineData("192.0.2.10", "192.0.2.10")]
    [InlineData("::1", "::/64")]
    [InlineData("unknown", "unknown")]
    public void AddressKey_Ipv6ByItsSlash64_Ipv4AsIs(string address, string key) =>
        Assert.Equal(key, LoginThrottle.AddressKey(address));

    [Fact]
    public async Task EnterAsync_ManyFailuresFromManyAddresses_ChecksRunOneAtATime_EachFailureHoldsTheLine()
    {
        var (throttle, time) = Create();

        // Below the slow-down threshold every check goes at once.
        for (var i = 0; i < 19; i++)
        {
            await using var turn = await throttle.EnterAsync("admin", "198.51.100." + i, CancellationToken.None);
            Assert.False(turn!.Gated);
            throttle.Failed("admin", "198.51.100." + i);
        }

        throttle.Failed("admin", "198.51.100.200");
        Assert.True(throttle.IsSlowedDown("admin"));
        Assert.False(throttle.IsSlowedDown("clerk"));

        // A guess from yet another address takes the line and fails: the line stays held for the slow-down.
        var guess = (await throttle.EnterAsync("admin", "203.0.113.7", CancellationToken.None))!;
        Assert.True(guess.Gated);
        Assert.Null(await throttle.EnterAsync("admin", "203.0.113.7", CancellationToken.None));
        throttle.Failed("admin", "203.0.113.7");
        guess.Failed();
        var released = guess.DisposeAsync().AsTask();

        // The operator at the desk waits its turn; a second attempt from the same address meanwhile is refused.
        var desk = throttle.EnterAsync("admin", Desk, CancellationToken.None);
        Assert.Null(await throttle.EnterAsync("admin", Desk, CancellationToken.None));
        Assert.False(desk.IsCompleted);
        Assert.False(released.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(5));
        await released.WaitAsync(TimeSpan.FromSeconds(30));
        await using (var turn = (await desk.WaitAsync(TimeSpan.FromSeconds(30)))!)
        {
            Assert.True(turn.Gated);
            throttle.Succeeded("admin", Desk);
        }

        // A success does not hold the line: the next check goes straight in.
        var next = throttle.EnterAsync("admin", "203.0.113.8", CancellationToken.None);
        await using var nextTurn = (await next.WaitAsync(TimeSpan.FromSeconds(30)))!;
        Assert.True(nextTurn.Gated);

        // The slow-down ends after a quiet lockout period.
        time.Advance(TimeSpan.FromMinutes(15));
        Assert.False(throttle.IsSlowedDown("admin"));
    }

    private static (LoginThrottle Throttle, FakeTimeProvider Time) Create()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:DataFolder"] = Path.GetTempPath() }).Build();
        Assert.True(GatewayOptions.TryLoad(configuration, out var options, out var error), error);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 2, 0, 0, TimeSpan.Zero));
        return (new LoginThrottle(options.Security, time), time);
    }
}
