namespace Hip.Inference;

/// <summary>GGUF tensor names of the Llama layout (llama.cpp's LLM_ARCH_LLAMA).</summary>
public static class LlamaTensorNames
{
    public const string TokenEmbedding = "token_embd.weight";
    public const string OutputNorm = "output_norm.weight";
    public const string Output = "output.weight";   // absent when tied to token_embd

    public static string AttentionNorm(int layer) => $"blk.{layer}.attn_norm.weight";
    public static string Wq(int layer) => $"blk.{layer}.attn_q.weight";
    public static string Wk(int layer) => $"blk.{layer}.attn_k.weight";
    public static string Wv(int layer) => $"blk.{layer}.attn_v.weight";
    public static string Wo(int layer) => $"blk.{layer}.attn_output.weight";
    public static string FfnNorm(int layer) => $"blk.{layer}.ffn_norm.weight";
    public static string W1(int layer) => $"blk.{layer}.ffn_gate.weight";
    public static string W2(int layer) => $"blk.{layer}.ffn_down.weight";
    public static string W3(int layer) => $"blk.{layer}.ffn_up.weight";
}
