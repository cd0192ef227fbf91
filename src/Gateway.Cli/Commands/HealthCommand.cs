using System.CommandLine;
using System.Text.Json;

namespace Gateway.Cli.Commands;

/// <summary>
/// <c>gatewayctl health [--server URL] [--json]</c>: the service's readiness; with a token whose roles read
/// devices (GATEWAY_TOKEN or the saved login), also the site, storage and each device's state.
/// </summary>
public static class HealthCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var command = new Command("health", "Show whether the service is ready and the state of each device");
        command.Options.Add(server);
        command.Options.Add(json);
        command.SetAction((parse, cancellationToken) => CliRunner.RunAsync(async () =>
        {
            var baseUrl = parse.GetValue(server)!;
            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new CliException($"--server '{baseUrl}' is not an http:// or https:// URL");
            }

            using var http = new HttpClient(Api.ServerTrust.CreateHandler()) { BaseAddress = uri, Timeout = TimeSpan.FromSeconds(10) };
            if (OptionalToken() is { } token)
            {
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await SendAsync(http, uri, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            using var document = ParseJson(body, uri);
            if (parse.GetValue(json))
            {
                Console.WriteLine(document.RootElement.GetRawText());
            }
            else
            {
                var root = document.RootElement;
                Console.WriteLine($"status   {root.GetProperty("status").GetString()}");
                if (!root.TryGetProperty("siteId", out _))
                {
                    Console.WriteLine("(the site, storage and devices are shown to a front-desk or admin token: gatewayctl login)");
                    return response.IsSuccessStatusCode ? 0 : 2;
                }

                Console.WriteLine($"site     {root.GetProperty("siteId").GetString()}");
                var storage = root.GetProperty("storage");
                Console.WriteLine($"storage  {storage.GetProperty("state").GetString()} (schema {storage.GetProperty("schemaVersion").GetInt32()})");
                foreach (var device in root.GetProperty("devices").EnumerateArray())
                {
                    Console.WriteLine($"device   {device.GetProperty("id").GetString(),-16} {device.GetProperty("kind").GetString(),-8} {device.GetProperty("state").GetString(),-10} {device.GetProperty("endpoint").GetString()}");
                }

                // Loops are named only when one has stopped on an error since the service started (docs/operations.md).
                var loops = root.TryGetProperty("loops", out var listed) ? listed.EnumerateArray().ToList() : [];
                foreach (var loop in loops)
                {
                    if (loop.GetProperty("restarts").GetInt32() > 0 || loop.GetProperty("state").GetString() != "running")
                    {
                        Console.WriteLine($"loop     {loop.GetProperty("name").GetString()}: {loop.GetProperty("state").GetString()}, {loop.GetProperty("restarts").GetInt32()} restart(s), last error: {loop.GetProperty("lastError").GetString()}");
                    }
                }
            }

            return response.IsSuccessStatusCode ? 0 : 2;
        }));
        return command;
    }

    /// <summary>The operator's token when there is one; health answers without it too.</summary>
    private static string? OptionalToken()
    {
        try
        {
            return Api.TokenStore.Resolve();
        }
        catch (CliException)
        {
            return null;
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, Uri uri, CancellationToken cancellationToken)
    {
        try
        {
            return await http.GetAsync(new Uri("health", UriKind.Relative), cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException(Api.ServerTrust.Describe(uri, ex), 1, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"the service at {uri} did not answer within 10 s", 1, ex);
        }
    }

    private static JsonDocument ParseJson(string body, Uri uri)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new CliException($"the service at {uri} answered something that is not Gateway's health report", 1, ex);
        }
    }
}
