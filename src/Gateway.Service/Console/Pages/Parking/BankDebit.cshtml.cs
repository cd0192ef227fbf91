using System.Globalization;
using Gateway.Service.Api;
using Gateway.Service.Domain.Parking;
using Gateway.Service.Parking;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Service.Console.Pages.Parking;

/// <summary>
/// The authorizer's bank debit: the month's requests as the bank's CSV (<see cref="ParkingWorkflow.DebitRequestsAsync"/>,
/// as <c>GET /api/parking/bank-debit/requests</c>), and the bank's result file imported in one operation once
/// per form key (<see cref="ParkingWorkflow.ImportBankResultsAsync"/>, as <c>POST /api/parking/bank-debit/results</c>:
/// UTF-8 or GB18030/GBK as chosen or detected, nothing guessed), answered with the report of every line.
/// </summary>
[Authorize(Policy = GatewayPolicies.ParkingAuthorizer)]
public sealed class BankDebitModel : ConsolePage
{
    private static readonly string[] Encodings = ["", "utf-8", "gb18030"];
    private readonly ParkingWorkflow _parking;
    private readonly ConsoleForms _forms;
    private readonly TimeProvider _time;

    public BankDebitModel(ParkingWorkflow parking, ConsoleForms forms, TimeProvider time)
    {
        _parking = parking;
        _forms = forms;
        _time = time;
    }

    public string Month { get; private set; } = string.Empty;

    [BindProperty(Name = ConsoleForms.KeyField)]
    public string? IdempotencyKey { get; set; }

    [BindProperty]
    public string? Encoding { get; set; } = string.Empty;

    [BindProperty(Name = "file")]
    public IFormFile? Upload { get; set; }

    /// <summary>The report of the file just imported.</summary>
    public ImportReport? Report { get; private set; }

    public void OnGet()
    {
        Month = _parking.CurrentMonth(_time.GetUtcNow()).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        IdempotencyKey = ConsoleForms.NewKey();
    }

    /// <summary>The month's requests as a CSV download (UTF-8 with a byte-order mark).</summary>
    public async Task<IActionResult> OnGetExportAsync(string? month, CancellationToken cancellationToken)
    {
        if (!DateOnly.TryParseExact(month + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first) || first.Year is < 2000 or > 2100)
        {
            OnGet();
            ModelState.AddModelError("month", Text["error.month"]);
            return Page();
        }

        var requests = await _parking.DebitRequestsAsync(first, cancellationToken);
        return File(Domain.Csv.Bytes(BankDebitFile.FormatRequests(requests)), Domain.Csv.ContentType, $"debit-requests-{first:yyyy-MM}.csv");
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Month = _parking.CurrentMonth(_time.GetUtcNow()).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        if (Upload is null || Upload.Length == 0)
        {
            ModelState.AddModelError("file", Text["error.required"]);
            return Page();
        }

        if (Upload.Length > ParkingEndpoints.MaxBankFileChars)
        {
            ModelState.AddModelError("file", Text["bank.too-large"]);
            return Page();
        }

        using var bytes = new MemoryStream();
        await Upload.CopyToAsync(bytes, cancellationToken);
        var charset = Encodings.Contains(Encoding) && Encoding!.Length > 0 ? Encoding : null;
        if (!BankFileText.TryDecode(bytes.GetBuffer().AsSpan(0, (int)bytes.Length), charset, out var text, out var encoding, out var unreadable))
        {
            FormErrors.Add(Text["bank.unreadable"]);
            FormErrors.Add(unreadable);
            return Page();
        }

        var file = BankDebitFile.ParseResults(text);
        if (file.Lines.Count == 0 && file.Malformed.Count == 0)
        {
            FormErrors.Add(Text["bank.empty"]);
            return Page();
        }

        // The form's key makes a double post one import; a repeat shows the report of the lines again (each now a duplicate).
        ImportReport? report = null;
        var run = await _forms.OnceAsync(Actor, "bank-debit-import", IdempotencyKey, Request.Form, async () =>
        {
            report = await _parking.ImportBankResultsAsync(Actor, file, CancellationToken.None, encoding);
            return "/parking/bank-debit";
        }, cancellationToken);
        if (run.Result != FormRunResult.Done)
        {
            Show(run);
            return Page();
        }

        Report = report;
        IdempotencyKey = ConsoleForms.NewKey();
        if (report is null)
        {
            Notice = Text["bank.imported-before"];
            return Redirect("/parking/bank-debit");
        }

        return Page();
    }
}
