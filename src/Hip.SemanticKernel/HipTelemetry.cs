using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Hip.SemanticKernel;

/// <summary>
/// The "Hip.Agents" <see cref="ActivitySource"/> and <see cref="Meter"/>: one "hip.generate" span per request, and
/// per-request timings and token counts. Prefill time is measured to the first token, so it includes any wait in
/// the engine's queue.
/// </summary>
internal static class HipTelemetry
{
    public static readonly ActivitySource Source = new(HipChatClient.TelemetrySourceName);
    public static readonly Meter Meter = new(HipChatClient.TelemetrySourceName);

    public static readonly Histogram<double> PrefillDuration = Meter.CreateHistogram<double>(
        "hip.prefill.duration", "s", "Time from a request to its first token (queue wait and prompt prefill).");
    public static readonly Histogram<double> DecodeDuration = Meter.CreateHistogram<double>(
        "hip.decode.duration", "s", "Time from a request's first token to its last.");
    public static readonly Counter<long> Tokens = Meter.CreateCounter<long>(
        "hip.tokens", "{token}", "Tokens processed, by hip.token.type (input or output).");

    public const string ModelTag = "gen_ai.request.model";
    public const string TokenTypeTag = "hip.token.type";

    public static Activity? StartGenerate(string modelId, int inputTokens)
    {
        var activity = Source.StartActivity("hip.generate");
        activity?.SetTag(ModelTag, modelId);
        activity?.SetTag("gen_ai.usage.input_tokens", inputTokens);
        return activity;
    }

    public static void Record(Activity? activity, string modelId, int inputTokens, int outputTokens,
        TimeSpan? firstToken, TimeSpan total, string finishReason)
    {
        var model = new KeyValuePair<string, object?>(ModelTag, modelId);
        Tokens.Add(inputTokens, model, new(TokenTypeTag, "input"));
        Tokens.Add(outputTokens, model, new(TokenTypeTag, "output"));
        if (firstToken is TimeSpan first)
        {
            PrefillDuration.Record(first.TotalSeconds, model);
            DecodeDuration.Record((total - first).TotalSeconds, model);
        }
        if (activity is null)
            return;
        activity.SetTag("gen_ai.usage.output_tokens", outputTokens);
        activity.SetTag("gen_ai.response.finish_reasons", finishReason);
        if (firstToken is TimeSpan t)
        {
            activity.SetTag("hip.prefill.duration_ms", t.TotalMilliseconds);
            activity.SetTag("hip.decode.duration_ms", (total - t).TotalMilliseconds);
        }
    }
}
