namespace Hip.Inference;

/// <summary>What a vocabulary entry is; the numbers are SentencePiece's piece types, which GGUF tokenizer.ggml.token_type reuses.</summary>
public enum TokenType
{
    /// <summary>Ordinary text.</summary>
    Normal = 1,
    /// <summary>The unknown token.</summary>
    Unknown = 2,
    /// <summary>A control token (BOS, EOS, chat markers): only the caller's own templates may write it.</summary>
    Control = 3,
    /// <summary>A user-defined token: always one token wherever its text appears (Qwen's &lt;tool_call&gt;).</summary>
    UserDefined = 4,
    /// <summary>An unused slot (padding rows); never produced by encoding.</summary>
    Unused = 5,
    /// <summary>A byte-fallback token &lt;0xNN&gt;: one raw byte.</summary>
    Byte = 6,
}
