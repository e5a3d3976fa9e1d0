using Hip.Kernels;

namespace Hip.Inference;

/// <summary>
/// GGUF architecture "qwen2": Qwen2, Qwen2.5, Qwen2.5-Coder. The Llama block with biases on q, k and v (added before
/// RoPE) and NeoX RoPE (pairs i, i + headDim/2); rope base 1e6 and RMS eps 1e-6 come from the file; small models tie
/// the classifier to token_embd (REAL-MODELS.md §5).
/// </summary>
public sealed class Qwen2Model : TransformerModel
{
    private Qwen2Model(ModelParts p) : base(p.Kernels, p.Config, p.Weights, p.MaxPositions, p.MaxBatch, [], p.Attention) { }

    /// <summary>Hyper-parameters from the qwen2.* keys.</summary>
    public static ModelConfig ReadConfig(ModelFile file) =>
        ModelArchitecture.ReadCommon(file, GgufKeys.ArchitectureQwen2, RopeLayout.RotateHalf);

    /// <summary>The tensor table: the common layout, q/k/v with their biases, gate/up.</summary>
    public static IEnumerable<TensorSpec> Tensors(ModelConfig c) =>
        ModelArchitecture.CommonTensors(c)
            .Concat(TensorSpec.PerLayer(c.LayerCount, "attn_q.weight", WeightSlot.Wq, c.QueryDim, c.Dim))
            .Concat(TensorSpec.PerLayer(c.LayerCount, "attn_k.weight", WeightSlot.Wk, c.KvDim, c.Dim))
            .Concat(TensorSpec.PerLayer(c.LayerCount, "attn_v.weight", WeightSlot.Wv, c.KvDim, c.Dim))
            .Concat(TensorSpec.PerLayer(c.LayerCount, "attn_q.bias", WeightSlot.Bq, 1, c.QueryDim))
            .Concat(TensorSpec.PerLayer(c.LayerCount, "attn_k.bias", WeightSlot.Bk, 1, c.KvDim))
            .Concat(TensorSpec.PerLayer(c.LayerCount, "attn_v.bias", WeightSlot.Bv, 1, c.KvDim))
            .Concat(TensorSpec.PerLayer(c.LayerCount, "ffn_gate.weight", WeightSlot.Gate, c.HiddenDim, c.Dim))
            .Concat(TensorSpec.PerLayer(c.LayerCount, "ffn_up.weight", WeightSlot.Up, c.HiddenDim, c.Dim));

    internal static TransformerModel Create(ModelParts parts) => new Qwen2Model(parts);

    protected override void Forward(int count, KvCache cache, int startPos)
    {
        Embed(count);
        for (int l = 0; l < Config.LayerCount; l++)
        {
            AttentionBlock(l, count, cache, startPos);   // q, k, v projections add their biases before NeoX RoPE
            SwiGluBlock(l, count);
        }
        Classifier(count);
    }
}
