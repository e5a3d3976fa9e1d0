using Hip.Kernels;

namespace Hip.Inference;

/// <summary>
/// The shape of a decoder-only transformer, read by its architecture (<see cref="ModelArchitecture"/>) from the file's
/// metadata and validated once. Everything the shared blocks need lives here; what differs between architectures is
/// which tensors exist (biases, fused projections, RoPE factors), read from the tensor table.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Largest head dimension the attention kernels support.</summary>
    public const int MaxHeadDim = 128;

    private const int MaxDim = 1 << 17;
    /// <summary>Most transformer blocks a model may have (the largest released models have under 200).</summary>
    public const int MaxLayers = 1024;
    private const int MaxVocab = 1 << 24;
    private const int MaxContext = 1 << 24;

    /// <summary>Architecture name as the file states it (general.architecture; "llama" for llama2.c checkpoints).</summary>
    public string Architecture { get; init; } = "llama";

    /// <summary>Width of the residual stream (n_embd).</summary>
    public required int Dim { get; init; }

    /// <summary>Width of the SwiGLU feed-forward layer.</summary>
    public required int HiddenDim { get; init; }

    /// <summary>Number of transformer blocks.</summary>
    public required int LayerCount { get; init; }

    /// <summary>Number of query heads.</summary>
    public required int HeadCount { get; init; }

    /// <summary>Number of key/value heads (smaller than <see cref="HeadCount"/> with grouped-query attention).</summary>
    public required int KvHeadCount { get; init; }

    /// <summary>Number of token ids (rows of the token embedding).</summary>
    public required int VocabSize { get; init; }

    /// <summary>Context length the model was trained with.</summary>
    public required int ContextLength { get; init; }

    /// <summary>RoPE base frequency.</summary>
    public float RopeTheta { get; init; } = 10000f;

    /// <summary>Epsilon inside RMS norm.</summary>
    public float RmsEps { get; init; } = 1e-5f;

    /// <summary>Which elements of a head RoPE rotates together.</summary>
    public RopeLayout RopeLayout { get; init; } = RopeLayout.Interleaved;

    /// <summary>
    /// Context length the RoPE factors switch at (Phi-3 rope.scaling.original_context_length): a context longer than this
    /// takes the long factors, else the short ones; 0 when the model has no such switch.
    /// </summary>
    public int RopeOriginalContext { get; init; }

    /// <summary>Multiplier of RoPE's cos and sin (Phi-3 rope.scaling.attn_factor); 1 for most models.</summary>
    public float RopeAttentionFactor { get; init; } = 1f;

    /// <summary>Width of one attention head.</summary>
    public int HeadDim => Dim / HeadCount;

    /// <summary>Width of all query heads together.</summary>
    public int QueryDim => HeadCount * HeadDim;

    /// <summary>Width of all key (or value) heads together.</summary>
    public int KvDim => KvHeadCount * HeadDim;

    /// <summary>Throws <see cref="InvalidDataException"/> naming <paramref name="source"/> unless the shape is one the engine can run.</summary>
    public void Validate(string source)
    {
        CheckRange(source, nameof(Dim), Dim, MaxDim);
        CheckRange(source, nameof(HiddenDim), HiddenDim, MaxDim);
        CheckRange(source, nameof(LayerCount), LayerCount, MaxLayers);
        CheckRange(source, nameof(HeadCount), HeadCount, MaxDim);
        CheckRange(source, nameof(KvHeadCount), KvHeadCount, MaxDim);
        CheckRange(source, nameof(VocabSize), VocabSize, MaxVocab);
        CheckRange(source, nameof(ContextLength), ContextLength, MaxContext);
        if (Dim % HeadCount != 0)
            throw new InvalidDataException($"{source}: {nameof(Dim)} {Dim} is not a multiple of {nameof(HeadCount)} {HeadCount}.");
        if (HeadCount % KvHeadCount != 0)
            throw new InvalidDataException($"{source}: {nameof(HeadCount)} {HeadCount} is not a multiple of {nameof(KvHeadCount)} {KvHeadCount}.");
        if (HeadDim % 2 != 0)
            throw new InvalidDataException($"{source}: {nameof(HeadDim)} {HeadDim} (= {Dim} / {HeadCount}) is odd; RoPE rotates pairs, so it must be even.");
        if (HeadDim > MaxHeadDim)
            throw new InvalidDataException($"{source}: {nameof(HeadDim)} {HeadDim} is larger than {MaxHeadDim}; the kernels support head dims up to {MaxHeadDim}.");
        if (!(float.IsFinite(RopeTheta) && RopeTheta > 0))
            throw new InvalidDataException($"{source}: {nameof(RopeTheta)} is {RopeTheta}, expected a positive number.");
        if (!(float.IsFinite(RmsEps) && RmsEps >= 0 && RmsEps < 1))
            throw new InvalidDataException($"{source}: {nameof(RmsEps)} is {RmsEps}, expected a number in [0, 1).");
        if (!(float.IsFinite(RopeAttentionFactor) && RopeAttentionFactor > 0 && RopeAttentionFactor < 100))
            throw new InvalidDataException($"{source}: {nameof(RopeAttentionFactor)} is {RopeAttentionFactor}, expected a positive number below 100.");
        if (RopeOriginalContext < 0 || RopeOriginalContext > MaxContext)
            throw new InvalidDataException($"{source}: {nameof(RopeOriginalContext)} is {RopeOriginalContext}, expected 0 to {MaxContext}.");
    }

    private static void CheckRange(string source, string name, int value, int max)
    {
        if (value <= 0)
            throw new InvalidDataException($"{source}: {name} is {value}, expected a positive number.");
        if (value > max)
            throw new InvalidDataException($"{source}: {name} is {value}, expected at most {max}.");
    }
}
