using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.SemanticKernel;

namespace Hip.SemanticKernel;

/// <summary>
/// Semantic Kernel settings for a Hip model. The JSON names are the ones Semantic Kernel maps onto ChatOptions
/// (temperature, top_p, top_k, max_tokens, seed, stop_sequences, frequency_penalty, presence_penalty,
/// chat_system_prompt); min_p and ignore_eos reach the client through ChatOptions.AdditionalProperties.
/// </summary>
public sealed class HipPromptExecutionSettings : PromptExecutionSettings
{
    private static readonly JsonSerializerOptions s_readPermissive = new()
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private float? _temperature, _topP, _minP, _frequencyPenalty, _presencePenalty;
    private int? _topK, _maxTokens;
    private long? _seed;
    private IList<string>? _stopSequences;
    private string? _chatSystemPrompt;
    private bool? _ignoreEos;

    /// <summary>Sampling temperature; 0 is greedy.</summary>
    [JsonPropertyName("temperature"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float? Temperature { get => _temperature; set { ThrowIfFrozen(); _temperature = value; } }

    /// <summary>Nucleus sampling probability in (0, 1].</summary>
    [JsonPropertyName("top_p"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float? TopP { get => _topP; set { ThrowIfFrozen(); _topP = value; } }

    /// <summary>Keep only the K most likely tokens; 0 turns it off.</summary>
    [JsonPropertyName("top_k"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? TopK { get => _topK; set { ThrowIfFrozen(); _topK = value; } }

    /// <summary>Drop tokens less likely than MinP times the most likely one; in [0, 1).</summary>
    [JsonPropertyName(HipChatClient.MinPKey), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float? MinP { get => _minP; set { ThrowIfFrozen(); _minP = value; } }

    /// <summary>Most tokens to generate.</summary>
    [JsonPropertyName("max_tokens"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxTokens { get => _maxTokens; set { ThrowIfFrozen(); _maxTokens = value; } }

    /// <summary>Random seed: the same seed, prompt and settings give the same text.</summary>
    [JsonPropertyName("seed"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Seed { get => _seed; set { ThrowIfFrozen(); _seed = value; } }

    /// <summary>Text that ends the answer (not included in it).</summary>
    [JsonPropertyName("stop_sequences"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IList<string>? StopSequences { get => _stopSequences; set { ThrowIfFrozen(); _stopSequences = value; } }

    /// <summary>Subtracted from a token's logit once per earlier occurrence in the output.</summary>
    [JsonPropertyName("frequency_penalty"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float? FrequencyPenalty { get => _frequencyPenalty; set { ThrowIfFrozen(); _frequencyPenalty = value; } }

    /// <summary>Subtracted from a token's logit once if it occurred in the output.</summary>
    [JsonPropertyName("presence_penalty"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float? PresencePenalty { get => _presencePenalty; set { ThrowIfFrozen(); _presencePenalty = value; } }

    /// <summary>System instructions for the request (ChatOptions.Instructions).</summary>
    [JsonPropertyName("chat_system_prompt"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ChatSystemPrompt { get => _chatSystemPrompt; set { ThrowIfFrozen(); _chatSystemPrompt = value; } }

    /// <summary>True keeps generating past the end-of-sequence token.</summary>
    [JsonPropertyName(HipChatClient.IgnoreEosKey), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? IgnoreEos { get => _ignoreEos; set { ThrowIfFrozen(); _ignoreEos = value; } }

    /// <summary>The settings as <see cref="HipPromptExecutionSettings"/>: itself, a new one for null, else a JSON conversion of the known keys.</summary>
    public static HipPromptExecutionSettings FromExecutionSettings(PromptExecutionSettings? executionSettings)
    {
        switch (executionSettings)
        {
            case null:
                return new HipPromptExecutionSettings();
            case HipPromptExecutionSettings hip:
                return hip;
        }
        string json = JsonSerializer.Serialize(executionSettings, executionSettings.GetType());
        var settings = JsonSerializer.Deserialize<HipPromptExecutionSettings>(json, s_readPermissive)
            ?? throw new ArgumentException($"Cannot convert the execution settings to {nameof(HipPromptExecutionSettings)}.", nameof(executionSettings));
        settings.FunctionChoiceBehavior = executionSettings.FunctionChoiceBehavior;
        return settings;
    }

    public override void Freeze()
    {
        if (IsFrozen)
            return;
        if (_stopSequences is not null)
            _stopSequences = _stopSequences.ToList().AsReadOnly();
        base.Freeze();
    }

    public override PromptExecutionSettings Clone() => new HipPromptExecutionSettings
    {
        ModelId = ModelId,
        ServiceId = ServiceId,
        FunctionChoiceBehavior = FunctionChoiceBehavior,
        ExtensionData = ExtensionData is null ? null : new Dictionary<string, object>(ExtensionData),
        Temperature = Temperature,
        TopP = TopP,
        TopK = TopK,
        MinP = MinP,
        MaxTokens = MaxTokens,
        Seed = Seed,
        StopSequences = StopSequences?.ToList(),
        FrequencyPenalty = FrequencyPenalty,
        PresencePenalty = PresencePenalty,
        ChatSystemPrompt = ChatSystemPrompt,
        IgnoreEos = IgnoreEos,
    };
}
