using System.Text.RegularExpressions;
using Gateway.Service.Api;
using Gateway.Service.Domain.Holders;

namespace Gateway.Service.Holders;

/// <summary>A holder's fields as a person typed them (API body or console form); null = not given.</summary>
public sealed record HolderForm(string? Name, string? Building, string? Unit, string? Room, string? Phone, string? Email, string? IdDocumentNumber);

/// <summary>A holder's fields once checked; the ID-document number is already cut to its last four characters.</summary>
public sealed record HolderFields(string? Name, UnitAddress? Address, string? Building, string? Unit, string? Room, string? Phone, string? Email, string? IdLastFour)
{
    public NewHolder ToNew() => new(Name!, Address!, Phone, Email, IdLastFour);

    public HolderChanges ToChanges() => new(Name, Building, Unit, Room, Phone, Email, IdLastFour);
}

/// <summary>
/// The rules of a holder's fields, shared by the API and the console so that both accept and refuse
/// the same input. The full ID-document number is checked and masked here, then dropped: it is never
/// stored, echoed or logged.
/// </summary>
public static partial class HolderInput
{
    public const int MaxName = 64;

    /// <summary>Checks <paramref name="form"/>; with <paramref name="required"/> (a new holder) name, building, unit and room must be given.</summary>
    public static HolderFields Validate(Validator v, HolderForm form, bool required)
    {
        var name = v.Text("name", form.Name, MaxName, required);
        var building = AddressPart(v, "building", form.Building, required);
        var unitPart = AddressPart(v, "unit", form.Unit, required);
        var room = AddressPart(v, "room", form.Room, required);
        var phone = v.Pattern("phone", form.Phone, PhonePattern(), "must be a phone number: digits, optionally a leading + and spaces or dashes (5-20 characters)", required: false, code: "phone");
        var email = v.Pattern("email", form.Email, EmailPattern(), "must be an e-mail address (at most 254 characters)", required: false, code: "email");
        if (email is { Length: > 254 })
        {
            v.Add("email", "must be at most 254 characters", "too-long", 254);
        }

        string? last4 = null;
        if (form.IdDocumentNumber is not null)
        {
            if (IdDocument.IsValid(form.IdDocumentNumber))
            {
                last4 = IdDocument.LastFour(form.IdDocumentNumber);
            }
            else
            {
                v.Add("idDocumentNumber", "must be 6-32 letters or digits", "id-document");
            }
        }

        var address = building is not null && unitPart is not null && room is not null ? new UnitAddress(building, unitPart, room) : null;
        return new HolderFields(name, address, building, unitPart, room, phone, email, last4);
    }

    private static string? AddressPart(Validator v, string field, string? value, bool required)
    {
        if (value is null)
        {
            if (required)
            {
                v.Add(field, "is required", "required");
            }

            return null;
        }

        if (!UnitAddress.IsValidPart(value))
        {
            v.Add(field, "must be 1-16 letters or digits", "address-part");
            return null;
        }

        return value;
    }

    [GeneratedRegex(@"^\+?[0-9][0-9 \-]{4,19}$")]
    private static partial Regex PhonePattern();

    [GeneratedRegex(@"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();
}
