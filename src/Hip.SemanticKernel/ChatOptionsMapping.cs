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
    /// <remarks>The rules are <see cref="SamplingParams.Validate"/>'s; only the error is renamed to the ChatOptions setting.</remarks>
    public static SamplingParams ToSamplingParams(ChatOptions? options, IChatClient client)
    {
        var sampling = options?.RawRepresentationFactory?.Invoke(client) as SamplingParams ?? new SamplingParams { MaxTokens = int.MaxValue };
        if (options is null)
            return sampling;

        sampling = sampling with
        {
            Temperature = options.Temperature ?? sampling.Temperature,
            TopP = options.TopP ?? sampling.TopP,
            TopK = options.TopK ?? sampling.TopK,
            FrequencyPenalty = options.FrequencyPenalty ?? sampling.FrequencyPenalty,
            PresencePenalty = options.PresencePenalty ?? sampling.PresencePenalty,
            Seed = options.Seed is long seed ? ToInt32Seed(seed) : sampling.Seed,
            MaxTokens = options.MaxOutputTokens ?? sampling.MaxTokens,
        };
        bool minPSet = false;
        if (options.AdditionalProperties is { } extra)
        {
            if (TryGet(extra, HipChatClient.MinPKey, out var minPValue))
            {
                sampling = sampling with { MinP = ToSingle(HipChatClient.MinPKey, minPValue) };
                minPSet = true;
            }
            if (TryGet(extra, HipChatClient.IgnoreEosKey, out var ignoreEos))
                sampling = sampling with { StopAtEndOfSequence = !ToBoolean(HipChatClient.IgnoreEosKey, ignoreEos) };
        }
        try
        {
            sampling.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw Renamed(e, options, minPSet);
        }
        return sampling;
    }

    /// <summary>SamplingParams' error under the name the caller used: a ChatOptions property, the min_p key, or the raw SamplingParams.</summary>
    private static ArgumentOutOfRangeException Renamed(ArgumentOutOfRangeException e, ChatOptions options, bool minPSet)
    {
        string setting = e.ParamName ?? "";
        string rule = e.Message.Split(" (Parameter '")[0];
        (string Name, bool Set) source = setting switch
        {
            nameof(SamplingParams.Temperature) => (nameof(ChatOptions.Temperature), options.Temperature is not null),
            nameof(SamplingParams.TopP) => (nameof(ChatOptions.TopP), options.TopP is not null),
            nameof(SamplingParams.TopK) => (nameof(ChatOptions.TopK), options.TopK is not null),
            nameof(SamplingParams.FrequencyPenalty) => (nameof(ChatOptions.FrequencyPenalty), options.FrequencyPenalty is not null),
            nameof(SamplingParams.PresencePenalty) => (nameof(ChatOptions.PresencePenalty), options.PresencePenalty is not null),
            nameof(SamplingParams.MaxTokens) => (nameof(ChatOptions.MaxOutputTokens), options.MaxOutputTokens is not null),
            nameof(SamplingParams.MinP) => (HipChatClient.MinPKey, minPSet),
            _ => (setting, false),
        };
        if (!source.Set)
            return new ArgumentOutOfRangeException(setting, e.ActualValue, $"The SamplingParams from ChatOptions.RawRepresentationFactory: {rule}");
        string where = source.Name == HipChatClient.MinPKey ? $"ChatOptions.AdditionalProperties[\"{source.Name}\"]" : $"ChatOptions.{source.Name}";
        return new ArgumentOutOfRangeException(source.Name, e.ActualValue, $"{where}: {rule}");
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
}
