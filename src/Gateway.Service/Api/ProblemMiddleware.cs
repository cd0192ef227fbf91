using System.Text.Json;

namespace Gateway.Service.Api;

/// <summary>
/// Outermost API middleware: turns binding failures (malformed JSON, wrong types, oversized bodies,
/// wrong content type) into problems with a stable type, and unexpected exceptions into a 500
/// problem whose details go to the log only.
/// </summary>
public sealed class ProblemMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ILogger<ProblemMiddleware> _logger;

    public ProblemMiddleware(RequestDelegate next, ILogger<ProblemMiddleware> logger)
    {
        _next = next;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await _next(context);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            var status = ex.StatusCode;
            var type = ProblemTypes.ForStatus(status);
            var detail = status switch
            {
                StatusCodes.Status413PayloadTooLarge => "the request body is larger than the service accepts",
                StatusCodes.Status415UnsupportedMediaType => "send the body as application/json",
                _ => Describe(ex),
            };
            await ApiProblems.Problem(status, type, status == 400 ? "Malformed request" : "Request refused", detail).ExecuteAsync(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !context.Response.HasStarted)
        {
            _logger.LogError(ex, "Request {Method} {Path} failed ({TraceId})", context.Request.Method, context.Request.Path.Value, context.TraceIdentifier);
            context.Response.Clear();
            await ApiProblems.Problem(
                StatusCodes.Status500InternalServerError,
                ProblemTypes.Internal,
                "Internal error",
                $"the service failed unexpectedly; the log has the details under trace id {context.TraceIdentifier}",
                new Dictionary<string, object?> { ["traceId"] = context.TraceIdentifier }).ExecuteAsync(context);
        }
    }

    private static string Describe(BadHttpRequestException ex)
    {
        // The JSON reader's message names the path and position ("$.holderId | LineNumber: 0 ..."), which helps the caller.
        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is JsonException json)
            {
                return json.Path is { Length: > 0 } path
                    ? $"the body is not valid for this endpoint at {path}: {FirstSentence(json.Message)}"
                    : $"the body is not valid JSON: {FirstSentence(json.Message)}";
            }
        }

        return ex.Message;
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
