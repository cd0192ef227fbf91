using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Gateway.Cli.Api;

/// <summary>
/// Talks to the service's HTTP API for operator commands: base URL from <c>--server</c>, bearer token
/// from <see cref="TokenStore"/>, JSON in and out. A problem-details answer becomes a
/// <see cref="CliException"/> whose message is one line: title, detail and type.
/// </summary>
public sealed class ApiClient : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http;

    public ApiClient(Uri server, string? token)
    {
        Server = server;
        _http = new HttpClient(ServerTrust.CreateHandler()) { BaseAddress = server, Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri Server { get; }

    /// <summary>Parses and checks a <c>--server</c> value.</summary>
    /// <exception cref="CliException">Not an http(s) URL.</exception>
    public static Uri ParseServer(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException($"--server '{text}' is not an http:// or https:// URL");
        }

        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri + "/");
    }

    /// <summary>The client for an operator command: the server from --server, the token from <see cref="TokenStore"/> (required).</summary>
    public static ApiClient ForOperator(string server)
    {
        var token = TokenStore.Resolve() ?? throw new CliException("no token: set GATEWAY_TOKEN or run 'gatewayctl login'", 3);
        return new ApiClient(ParseServer(server), token);
    }

    public Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, path, null, null, cancellationToken);

    /// <summary>GETs a non-JSON representation (CSV, text) and returns it as is.</summary>
    /// <exception cref="CliException">The service answered a problem or could not be reached.</exception>
    public async Task<string> GetTextAsync(string path, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(new Uri(path, UriKind.Relative), timeout.Token);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException(ServerTrust.Describe(Server, ex), 1, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"the service at {Server} did not answer within {Timeout.TotalSeconds:0} s", 1, ex);
        }

        using (response)
        {
            NoteSiteTimeZone(response);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return response.IsSuccessStatusCode ? text : throw new CliException(DescribeFailure(response.StatusCode, text), ExitCodeFor(response.StatusCode));
        }
    }

    public Task<JsonElement> PostAsync(string path, object? body, CancellationToken cancellationToken, string? idempotencyKey = null) =>
        SendAsync(HttpMethod.Post, path, body, idempotencyKey, cancellationToken);

    public Task<JsonElement> PatchAsync(string path, object? body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Patch, path, body, null, cancellationToken);

    /// <summary>Sends a request and returns the JSON body (an empty object for 204).</summary>
    /// <exception cref="CliException">The service answered a problem, could not be reached, or did not answer in time.</exception>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, string? idempotencyKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, CliJson.Options), Encoding.UTF8, "application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, timeout.Token);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException(ServerTrust.Describe(Server, ex), 1, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"the service at {Server} did not answer within {Timeout.TotalSeconds:0} s", 1, ex);
        }

        using (response)
        {
            NoteSiteTimeZone(response);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new CliException(DescribeFailure(response.StatusCode, text), ExitCodeFor(response.StatusCode)) { Body = text };
            }

            if (text.Length == 0)
            {
                using var empty = JsonDocument.Parse("{}");
                return empty.RootElement.Clone();
            }

            try
            {
                using var document = JsonDocument.Parse(text);
                return document.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new CliException($"the service at {Server} answered something that is not JSON", 1, ex);
            }
        }
    }

    /// <summary>
    /// Sends a request with an optional text body (e.g. a CSV file) and returns the answer as text,
    /// for the endpoints that speak CSV rather than JSON.
    /// </summary>
    /// <exception cref="CliException">The service answered a problem, could not be reached, or did not answer in time.</exception>
    public async Task<string> SendTextAsync(HttpMethod method, string path, string? body, string? contentType, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var bytes = await SendBytesAsync(method, path, body is null ? null : new UTF8Encoding(false).GetBytes(body), contentType ?? "text/plain", idempotencyKey, cancellationToken);
        return new UTF8Encoding(false).GetString(bytes);
    }

    /// <summary>
    /// Sends a request with an optional body of raw bytes (a bank's file exactly as the bank wrote it,
    /// whatever its encoding) and returns the answer's bytes untouched (a CSV keeps its byte-order mark).
    /// </summary>
    /// <exception cref="CliException">The service answered a problem, could not be reached, or did not answer in time.</exception>
    public async Task<byte[]> SendBytesAsync(HttpMethod method, string path, byte[]? body, string? contentType, string? idempotencyKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType ?? "application/octet-stream");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            NoteSiteTimeZone(response);
            var bytes = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new CliException(DescribeFailure(response.StatusCode, Encoding.UTF8.GetString(bytes)), ExitCodeFor(response.StatusCode));
            }

            return bytes;
        }
        catch (HttpRequestException ex)
        {
            throw new CliException(ServerTrust.Describe(Server, ex), 1, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"the service at {Server} did not answer within {Timeout.TotalSeconds:0} s", 1, ex);
        }
    }

    /// <summary>The service names its site's time zone on every answer; people see instants in it (<see cref="Output.SiteTimeZone"/>).</summary>
    private static void NoteSiteTimeZone(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues(Output.SiteTimeZoneHeader, out var values))
        {
            Output.UseSiteTimeZone(values.FirstOrDefault());
        }
    }

    /// <summary>One line for a failed response: "title: detail [type]" for a problem, the status otherwise.</summary>
    public static string DescribeFailure(HttpStatusCode status, string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("title", out var title))
            {
                var detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                var type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                var line = detail is { Length: > 0 } ? $"{title.GetString()}: {detail}" : title.GetString();
                line = $"{line} ({(int)status}{(type is null ? string.Empty : " " + type)})";
                return line.ReplaceLineEndings(" ");
            }
        }
        catch (JsonException)
        {
        }

        return $"the service answered {(int)status} {status}";
    }

    /// <summary>Exit codes: 3 authentication or permission, 4 not found, 5 conflict or state refused, 1 otherwise.</summary>
    public static int ExitCodeFor(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => 3,
        HttpStatusCode.NotFound => 4,
        HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity => 5,
        _ => 1,
    };

    public void Dispose() => _http.Dispose();
}

/// <summary>JSON conventions shared with the service (camelCase).</summary>
public static class CliJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static JsonSerializerOptions Indented { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = false };
}
