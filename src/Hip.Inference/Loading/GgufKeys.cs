namespace Hip.Inference;

/// <summary>Every GGUF metadata key the engine reads (ggml docs/gguf.md); architecture keys take the architecture name.</summary>
public static class GgufKeys
{
    // general
    public const string Architecture = "general.architecture";
    public const string Alignment = "general.alignment";
    public const string Name = "general.name";
    public const string FileType = "general.file_type";
    public const string QuantizationVersion = "general.quantization_version";

    // model shape, prefixed with the architecture ("llama.context_length")
    public static string ContextLength(string arch) => $"{arch}.context_length";
    public static string EmbeddingLength(string arch) => $"{arch}.embedding_length";
    public static string BlockCount(string arch) => $"{arch}.block_count";
    public static string FeedForwardLength(string arch) => $"{arch}.feed_forward_length";
    public static string HeadCount(string arch) => $"{arch}.attention.head_count";
    public static string HeadCountKv(string arch) => $"{arch}.attention.head_count_kv";
    public static string RmsEpsilon(string arch) => $"{arch}.attention.layer_norm_rms_epsilon";
    public static string RopeFreqBase(string arch) => $"{arch}.rope.freq_base";
    public static string RopeDimensionCount(string arch) => $"{arch}.rope.dimension_count";
    public static string RopeScalingType(string arch) => $"{arch}.rope.scaling.type";
    public static string RopeScalingFactor(string arch) => $"{arch}.rope.scaling.factor";
    public static string VocabSize(string arch) => $"{arch}.vocab_size";
    public static string KeyLength(string arch) => $"{arch}.attention.key_length";
    public static string ValueLength(string arch) => $"{arch}.attention.value_length";
    public static string SlidingWindow(string arch) => $"{arch}.attention.sliding_window";
    public static string RopeScalingOriginalContext(string arch) => $"{arch}.rope.scaling.original_context_length";
    public static string RopeScalingAttentionFactor(string arch) => $"{arch}.rope.scaling.attn_factor";

    // values of RopeScalingType
    public const string RopeScalingNone = "none";

    // tokenizer
    public const string TokenizerModel = "tokenizer.ggml.model";
    public const string TokenizerPre = "tokenizer.ggml.pre";
    public const string Tokens = "tokenizer.ggml.tokens";
    public const string Scores = "tokenizer.ggml.scores";
    public const string TokenType = "tokenizer.ggml.token_type";
    public const string Merges = "tokenizer.ggml.merges";
    public const string BosTokenId = "tokenizer.ggml.bos_token_id";
    public const string EosTokenId = "tokenizer.ggml.eos_token_id";
    public const string UnknownTokenId = "tokenizer.ggml.unknown_token_id";
    public const string PaddingTokenId = "tokenizer.ggml.padding_token_id";
    public const string SeparatorTokenId = "tokenizer.ggml.separator_token_id";
    public const string AddBosToken = "tokenizer.ggml.add_bos_token";
    public const string AddEosToken = "tokenizer.ggml.add_eos_token";
    public const string AddSpacePrefix = "tokenizer.ggml.add_space_prefix";
    public const string ChatTemplate = "tokenizer.chat_template";

    // values of TokenizerModel
    public const string TokenizerModelLlama = "llama";
    public const string TokenizerModelGpt2 = "gpt2";

    // architectures
    public const string ArchitectureLlama = "llama";
    public const string ArchitectureMistral = "mistral";
    public const string ArchitectureQwen2 = "qwen2";
    public const string ArchitecturePhi3 = "phi3";
    public const string ArchitectureGemma2 = "gemma2";
}
