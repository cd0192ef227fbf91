using Gateway.Service.Api;

namespace Gateway.Service.Inventory;

/// <summary>
/// The rules of one inventory line's counts as finance typed them (API body or console form), shared by
/// both: counts are whole numbers from 0 to <see cref="MaxCount"/>, an explanation at most
/// <see cref="MaxExplanation"/> characters, and a physical count only for states whose cards are held at the office.
/// </summary>
public static class InventoryInput
{
    public const long MaxCount = 100_000_000;

    public const int MaxExplanation = 1000;

    /// <summary>Checks one line's entries; the field names are the caller's (the API's body names, or one form row's inputs).</summary>
    public static EnteredCounts Line(Validator v, string? state, long? register, long? physical, string? explanation, string registerField = "registerCount", string physicalField = "physicalCount", string explanationField = "explanation")
    {
        var r = v.Range(registerField, register, 0, MaxCount, required: false);
        var p = v.Range(physicalField, physical, 0, MaxCount, required: false);
        var x = v.Text(explanationField, explanation, MaxExplanation, required: false);
        if (state is not null && p is not null && !InventoryWorkflow.PhysicalStates.Contains(state))
        {
            v.Add(physicalField, $"cards that are {state} are not held at the office; count them physically only for: {string.Join(", ", InventoryWorkflow.PhysicalStates)}", "not-physical");
        }

        return new EnteredCounts(r, p, x);
    }
}
