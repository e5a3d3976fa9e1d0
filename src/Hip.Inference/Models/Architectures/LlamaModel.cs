using Hip.Kernels;

namespace Hip.Inference;

/// <summary>
/// GGUF architecture "llama" (also "mistral"): Llama 1/2/3.x, Mistral v0.3, SmolLM2, and llama2.c checkpoints.
/// Adjacent-pair RoPE (the converter permuted Hugging Face q/k), no biases, SwiGLU; Llama 3.x divides each RoPE
/// frequency by rope_freqs.weight (REAL-MODELS.md §5). A missing output.weight means the classifier is tied to token_embd.
/// </summary>
public sealed class LlamaModel : TransformerModel
{
    private LlamaModel(ModelParts p) : base(p.Kernels, p.Config, p.Weights, p.MaxPositions, p.MaxBatch,
        p.Weights.HostVector(WeightSlot.RopeFrequencies), p.Attention) { }

    /// <summary>Hyper-parameters from the llama.* (or mistral.*) keys.</summary>
    public static ModelConfig ReadConfig(ModelFile file)
    {
        string arch = GgufValues.GetString(file.Metadata, GgufKeys.Architecture, file.Path);
        return ModelArchitecture.ReadCommon(file, arch, RopeLayout.Interleaved);
    }

    /// <summary>The tensor table: the common layout, separate q/k/v and gate/up, optional rope_freqs.</summary>
    public static IEnumerable<TensorSpec> Tensors(ModelConfig c) =>
        ModelArchitecture.CommonTensors(c)
            .Append(TensorSpec.Global("rope_freqs.weight", WeightSlot.RopeFrequencies, 1, c.HeadDim / 2, required: false))
            .Concat(TensorSpec.PerLayer(c.LayerCount, "attn_q.weight", WeightSlot.Wq, c.QueryDim, c.Dim))
            .Concat(TensorSpec.PerLayer(c.LayerCount, "attn_k.weight", WeightSlot.Wk, c.KvDim, c.Dim))
            .Concat(TensorSpec.PerLayer(c.LayerCount, "attn_v.weight", WeightSlot.Wv, c.KvDim, c.Dim))
            .Concat(TensorSpec.PerLayer(c.LayerCount, "ffn_gate.weight", WeightSlot.Gate, c.HiddenDim, c.Dim))
            .Concat(TensorSpec.PerLayer(c.LayerCount, "ffn_up.weight", WeightSlot.Up, c.HiddenDim, c.Dim));

    internal static TransformerModel Create(ModelParts parts) => new LlamaModel(parts);

    protected override void Forward(int count, KvCache cache, int startPos)
    {
        Embed(count);
        for (int l = 0; l < Config.LayerCount; l++)
        {
            AttentionBlock(l, count, cache, startPos);   // rmsnorm → q, k, v → RoPE → cache → attention → Wo, residual
            SwiGluBlock(l, count);                       // rmsnorm → gate, up → silu·up → down, residual
        }
        Classifier(count);                               // rmsnorm → output (last position)
    }
}
