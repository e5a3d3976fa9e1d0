using System.Globalization;
using System.Text.Json;
using Hip.Inference;
using Microsoft.Extensions.AI;

namespace Hip.SemanticKernel;

/// <summary>
/// Turns <see cref="ChatOptions"/> into the engine's <see cref="SamplingParams"/> and stop strings, checking every value
/// (an <see cref="ArgumentOutOfRangeException"/> names the option). A value the caller set always wins; a
/// <see cref="SamplingParams"/> from <see cref="ChatOptions.RawRepresentationFactory"/> is the starting point.
/// The caller's options are only read, never changed.
/// </summary>
internal static class ChatOptionsMapping
{
    /// <summary>Sampling for one request; without MaxOutputTokens it runs until end-of-sequence or a full context.</summary>
    public static SamplingParams ToSamplingParams(ChatOptions? options, IChatClient client)
    {
        var sampling = options?.RawRepresentationFactory?.Invoke(client) as SamplingParams ?? new SamplingParams { MaxTokens = int.MaxValue };
        if (options is null)
            return sampling;

        if (options.Temperature is float temperature)
        {
            if (!(temperature >= 0f) || float.IsInfinity(temperature))
                throw OutOfRange(nameof(ChatOptions.Temperature), temperature, "must be a finite number ≥ 0 (0 = greedy)");
            sampling = sampling with { Temperature = temperature };
        }
        if (options.TopP is float topP)
        {
            if (!(topP > 0f && topP <= 1f))
                throw OutOfRange(nameof(ChatOptions.TopP), topP, "must be in (0, 1] (1 = off)");
            sampling = sampling with { TopP = topP };
        }
        if (options.TopK is int topK)
        {
            if (topK < 0)
                throw OutOfRange(nameof(ChatOptions.TopK), topK, "must be ≥ 0 (0 = off)");
            sampling = sampling with { TopK = topK };
        }
        if (options.FrequencyPenalty is float frequency)
        {
            if (!float.IsFinite(frequency))
                throw OutOfRange(nameof(ChatOptions.FrequencyPenalty), frequency, "must be finite");
            sampling = sampling with { FrequencyPenalty = frequency };
        }
        if (options.PresencePenalty is float presence)
        {
            if (!float.IsFinite(presence))
                throw OutOfRange(nameof(ChatOptions.PresencePenalty), presence, "must be finite");
            sampling = sampling with { PresencePenalty = presence };
        }
        if (options.Seed is long seed)
            sampling = sampling with { Seed = ToInt32Seed(seed) };
        if (options.MaxOutputTokens is int maxTokens)
        {
            if (maxTokens <= 0)
                throw OutOfRange(nameof(ChatOptions.MaxOutputTokens), maxTokens, "must be > 0 (or null to run to the end of the context)");
            sampling = sampling with { MaxTokens = maxTokens };
        }
        if (options.AdditionalProperties is { } extra)
        {
            if (TryGet(extra, HipChatClient.MinPKey, out var minPValue))
            {
                float minP = ToSingle(HipChatClient.MinPKey, minPValue);
                if (!(minP >= 0f && minP < 1f))
                    throw OutOfRange(HipChatClient.MinPKey, minP, "must be in [0, 1) (0 = off)");
                sampling = sampling with { MinP = minP };
            }
            if (TryGet(extra, HipChatClient.IgnoreEosKey, out var ignoreEos))
                sampling = sampling with { StopAtEndOfSequence = !ToBoolean(HipChatClient.IgnoreEosKey, ignoreEos) };
        }
        sampling.Validate();
        return sampling;
    }

    /// <summary>The caller's stop strings (copied); an empty one is an <see cref="ArgumentException"/>.</summary>
    public static IReadOnlyList<string> ToStopSequences(ChatOptions? options)
    {
        if (options?.StopSequences is not { Count: > 0 } stops)
            return [];
        var copy = new List<string>(stops.Count);
        foreach (var stop in stops)
        {
            if (string.IsNullOrEmpty(stop))
                throw new ArgumentException("ChatOptions.StopSequences contains a null or empty string.", nameof(ChatOptions.StopSequences));
            copy.Add(stop);
        }
        return copy;
    }

    /// <summary>The engine's seed is 32-bit: seeds in range pass unchanged, others fold their halves together.</summary>
    internal static int ToInt32Seed(long seed) => seed is >= int.MinValue and <= int.MaxValue ? (int)seed : (int)(seed ^ (seed >> 32));

    private static bool TryGet(AdditionalPropertiesDictionary extra, string key, out object? value)
    {
        foreach (var (name, v) in extra)
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        value = null;
        return false;
    }

    private static float ToSingle(string key, object? value) => value switch
    {
        float f => f,
        double d => (float)d,
        decimal m => (float)m,
        int or long or short or byte => Convert.ToSingle(value, CultureInfo.InvariantCulture),
        string s when float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float parsed) => parsed,
        JsonElement { ValueKind: JsonValueKind.Number } e => e.GetSingle(),
        _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"] is {Describe(value)}, expected a number.", key),
    };

    private static bool ToBoolean(string key, object? value) => value switch
    {
        bool b => b,
        string s when bool.TryParse(s, out bool parsed) => parsed,
        JsonElement { ValueKind: JsonValueKind.True } => true,
        JsonElement { ValueKind: JsonValueKind.False } => false,
        _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"] is {Describe(value)}, expected true or false.", key),
    };

    private static string Describe(object? value) => value is null ? "null" : $"'{value}' ({value.GetType().Name})";

    private static ArgumentOutOfRangeException OutOfRange(string option, object value, string rule) =>
        new(option, value, $"ChatOptions.{option} {rule}.");
}
