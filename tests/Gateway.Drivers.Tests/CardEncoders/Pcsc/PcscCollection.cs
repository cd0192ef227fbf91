namespace Gateway.Drivers.Tests.CardEncoders.Pcsc;

/// <summary>vpcd's readers are on fixed ports: the tests that use them run one at a time.</summary>
[CollectionDefinition(Vpcd.Collection, DisableParallelization = true)]
public sealed class PcscCollection
{
}
