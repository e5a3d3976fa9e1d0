namespace Hip.Inference;

/// <summary>The tokenization algorithm a <see cref="Vocabulary"/> needs.</summary>
public enum VocabularyKind
{
    /// <summary>SentencePiece BPE with byte fallback (GGUF tokenizer.ggml.model "llama", llama2.c .model files).</summary>
    SentencePiece,
    /// <summary>GPT-2 style byte-level BPE with merges (GGUF tokenizer.ggml.model "gpt2").</summary>
    ByteLevelBpe,
}
