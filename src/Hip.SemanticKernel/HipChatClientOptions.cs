using Hip.Inference;
using Hip.Kernels;

namespace Hip.SemanticKernel;

/// <summary>
/// Which model a <see cref="HipChatClient"/> serves and how it is loaded; bindable from configuration and checked at
/// start-up (<see cref="Validate"/>). Sampling settings are per request (<c>ChatOptions</c>), not here.
/// </summary>
public sealed class HipChatClientOptions
{
    /// <summary>The model file: GGUF, or a llama2.c checkpoint with <see cref="TokenizerPath"/>. Required.</summary>
    public string ModelPath { get; set; } = "";

    /// <summary>The model's name in responses and metadata; default: the model file's name without extension (see <see cref="HipModel.ModelId"/>).</summary>
    public string? ModelId { get; set; }

    /// <summary>A SentencePiece .model for checkpoints without a tokenizer inside (llama2.c .bin).</summary>
    public string? TokenizerPath { get; set; }

    /// <summary>KV-cache positions (prompt and output together); null takes the model's trained context length.</summary>
    public int? ContextLength { get; set; }

    /// <summary>Dense or HiP sparse attention.</summary>
    public AttentionKind Attention { get; set; } = AttentionKind.Dense;

    /// <summary>HiP's settings (k, block sizes, sink, window, refresh interval, dense layers) when Attention is Hip.</summary>
    public HipAttentionOptions Hip { get; set; } = new();

    /// <summary>KV caches kept for prefix reuse across requests (each holds a whole context).</summary>
    public int PrefixCacheSlots { get; set; } = 1;

    /// <summary>CUDA, the CPU accelerator, or Auto (CUDA when present; <c>HIP_DEVICE=cuda|cpu</c> forces one).</summary>
    public DeviceKind Device { get; set; } = DeviceKind.Auto;

    /// <summary>Most prompt tokens per forward pass; null picks the engine's default for the device.</summary>
    public int? PrefillChunk { get; set; }

    /// <summary>
    /// The chat template: a family name (plain, llama2, llama3, chatml, mistral, phi3, gemma, zephyr) or the text of a
    /// Jinja template of one of those families. Null uses the model's own (GGUF tokenizer.chat_template), or plain
    /// text for a base model without one.
    /// </summary>
    public string? ChatTemplate { get; set; }

    /// <summary>A custom template layout; wins over <see cref="ChatTemplate"/>.</summary>
    public ChatTemplateFormat? ChatTemplateFormat { get; set; }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> (or <see cref="FileNotFoundException"/>) naming the first invalid option.
    /// The engine settings are checked by <see cref="EngineOptions.Validate"/>; the files, ModelId and template here.
    /// </summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath))
            throw new ArgumentException("HipChatClientOptions.ModelPath is required: the path of a GGUF or llama2.c model file.", nameof(ModelPath));
        if (!File.Exists(ModelPath))
            throw new FileNotFoundException($"HipChatClientOptions.ModelPath: model file '{ModelPath}' was not found.", ModelPath);
        if (TokenizerPath is not null && !File.Exists(TokenizerPath))
            throw new FileNotFoundException($"HipChatClientOptions.TokenizerPath: tokenizer file '{TokenizerPath}' was not found.", TokenizerPath);
        try
        {
            ToEngineOptions().Validate();   // the engine's rules, written once in EngineOptions
        }
        catch (ArgumentException e)
        {
            string message = $"HipChatClientOptions.{e.Message.Split(" (Parameter '")[0]}";
            throw e is ArgumentOutOfRangeException range
                ? new ArgumentOutOfRangeException(e.ParamName, range.ActualValue, message)
                : new ArgumentException(message, e.ParamName, e);
        }
        if (ModelId is { } id && string.IsNullOrWhiteSpace(id))
            throw new ArgumentException("HipChatClientOptions.ModelId must not be blank (or null for the model's own name).", nameof(ModelId));
        try
        {
            ResolveChatTemplate();
        }
        catch (ArgumentException e)
        {
            string option = ChatTemplateFormat is null ? nameof(ChatTemplate) : nameof(ChatTemplateFormat);
            throw new ArgumentException($"HipChatClientOptions.{option}: {e.Message}", option, e);
        }
    }

    /// <summary>A copy, so later changes to this instance do not reach a loaded model.</summary>
    public HipChatClientOptions Clone() => (HipChatClientOptions)MemberwiseClone();

    internal EngineOptions ToEngineOptions() => new()
    {
        ContextLength = ContextLength,
        Attention = Attention,
        Hip = Hip,
        PrefixCacheSlots = PrefixCacheSlots,
        Device = Device,
        PrefillChunk = PrefillChunk,
        TokenizerPath = TokenizerPath,
    };

    /// <summary>The template these options name, or null to use the model's own.</summary>
    internal Inference.ChatTemplate? ResolveChatTemplate() =>
        ChatTemplateFormat is { } format ? Inference.ChatTemplate.FromFormat(format)
        : ChatTemplate is { } name ? Inference.ChatTemplate.Parse(name)
        : null;
}
