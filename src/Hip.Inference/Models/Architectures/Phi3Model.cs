using Hip.Kernels;

namespace Hip.Inference;

/// <summary>
/// GGUF architecture "phi3": Phi-3 and Phi-3.5-mini. Fused attn_qkv (rows q | k | v) and fused ffn_up (rows gate | up),
/// split into the common projections at load; NeoX RoPE whose frequencies are divided by rope_factors_long when the
/// context exceeds rope.scaling.original_context_length, else by rope_factors_short, with cos and sin scaled by
/// rope.scaling.attn_factor. llama.cpp applies no sliding window to phi3, and neither do we (REAL-MODELS.md §5).
/// </summary>
public sealed class Phi3Model : TransformerModel
{
    private Phi3Model(ModelParts p) : base(p.Kernels, p.Config, p.Weights, p.MaxPositions, p.MaxBatch, Factors(p), p.Attention) { }

    // long factors when the context is longer than the original one (the context, not the position, decides)
    private static float[]? Factors(ModelParts p) =>
        p.Config.RopeOriginalContext > 0 && p.MaxPositions > p.Config.RopeOriginalContext
            ? p.Weights.HostVector(WeightSlot.RopeFactorsLong)
            : p.Weights.HostVector(WeightSlot.RopeFactorsShort);

    /// <summary>Hyper-parameters from the phi3.* keys, RoPE scaling included.</summary>
    public static ModelConfig ReadConfig(ModelFile file)
    {
        const string arch = GgufKeys.ArchitecturePhi3;
        var (md, source) = (file.Metadata, file.Path);
        var config = ModelArchitecture.ReadCommon(file, arch, RopeLayout.RotateHalf) with
        {
            RopeOriginalContext = GgufValues.GetOptionalInt32(md, GgufKeys.RopeScalingOriginalContext(arch), source) ?? 0,
            RopeAttentionFactor = GgufValues.GetOptionalFloat(md, GgufKeys.RopeScalingAttentionFactor(arch), source) ?? 1f,
        };
        config.Validate(source);
        return config;
    }

    /// <summary>The tensor table: the common layout, fused qkv and gate|up, optional long/short RoPE factors.</summary>
    public static IEnumerable<TensorSpec> Tensors(ModelConfig c) =>
        ModelArchitecture.CommonTensors(c)
            .Append(TensorSpec.Global("rope_factors_long.weight", WeightSlot.RopeFactorsLong, 1, c.HeadDim / 2, required: false))
            .Append(TensorSpec.Global("rope_factors_short.weight", WeightSlot.RopeFactorsShort, 1, c.HeadDim / 2, required: false))
            .Concat(TensorSpec.PerLayer(c.LayerCount, "attn_qkv.weight", WeightSlot.Wqkv, c.QueryDim + 2L * c.KvDim, c.Dim))
            .Concat(TensorSpec.PerLayer(c.LayerCount, "ffn_up.weight", WeightSlot.GateUp, 2L * c.HiddenDim, c.Dim));

    internal static TransformerModel Create(ModelParts parts) => new Phi3Model(parts);

    protected override void Forward(int count, KvCache cache, int startPos)
    {
        Embed(count);
        for (int l = 0; l < Config.LayerCount; l++)
        {
            AttentionBlock(l, count, cache, startPos);   // q, k, v are the rows of attn_qkv; scaled NeoX RoPE
            SwiGluBlock(l, count);                       // gate and up are the rows of ffn_up
        }
        Classifier(count);
    }
}
