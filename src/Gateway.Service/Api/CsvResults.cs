namespace Gateway.Service.Api;

/// <summary>CSV answers: UTF-8 with a byte-order mark (<see cref="Domain.Csv"/>), offered for download under a file name.</summary>
public static class CsvResults
{
    /// <summary>The CSV <paramref name="text"/> as the answer, saved as <paramref name="fileName"/> by a browser.</summary>
    public static IResult Of(string text, string fileName) =>
        TypedResults.File(Domain.Csv.Bytes(text), Domain.Csv.ContentType, fileName);
}
