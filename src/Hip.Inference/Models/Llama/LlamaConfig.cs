using Hip.Kernels;

namespace Hip.Inference;

/// <summary>The shape of a Llama-family model, read from a checkpoint header or GGUF metadata and validated once.</summary>
public sealed record LlamaConfig
{
    /// <summary>Largest head dimension the attention kernels support.</summary>
    public const int MaxHeadDim = 128;

    private const int MaxDim = 1 << 20;
    private const int MaxLayers = 1 << 16;
    private const int MaxVocab = 1 << 24;
    private const int MaxContext = 1 << 24;

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

    /// <summary>Architecture name as the file states it ("llama" for llama2.c checkpoints).</summary>
    public string Architecture { get; init; } = "llama";

    /// <summary>Width of one attention head.</summary>
    public int HeadDim => Dim / HeadCount;

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
    }

    /// <summary>The config of a llama- or mistral-architecture GGUF file (docs/model-formats.md); the vocab size is token_embd's rows.</summary>
    public static LlamaConfig FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var (md, source) = (file.Metadata, file.Path);
        string arch = GgufValues.GetString(md, GgufKeys.Architecture, source);
        if (arch is not (GgufKeys.ArchitectureLlama or GgufKeys.ArchitectureMistral))
            throw new InvalidDataException(
                $"{source}: architecture '{arch}' is not supported; supported: {GgufKeys.ArchitectureLlama}, {GgufKeys.ArchitectureMistral}.");

        var embedding = file.FindTensor(LlamaTensorNames.TokenEmbedding)
            ?? throw new InvalidDataException($"{source}: tensor '{LlamaTensorNames.TokenEmbedding}' is missing.");
        long vocab = embedding.Dims.Count > 1 ? embedding.Dims[1] : 1;
        if (vocab > MaxVocab)
            throw new InvalidDataException(
                $"{source}: tensor '{LlamaTensorNames.TokenEmbedding}' has {vocab} rows (GGUF dims {embedding.DimsText}), expected at most {MaxVocab} tokens.");

        int headCount = GgufValues.GetInt32(md, GgufKeys.HeadCount(arch), source);
        var config = new LlamaConfig
        {
            Architecture = arch,
            Dim = GgufValues.GetInt32(md, GgufKeys.EmbeddingLength(arch), source),
            HiddenDim = GgufValues.GetInt32(md, GgufKeys.FeedForwardLength(arch), source),
            LayerCount = GgufValues.GetInt32(md, GgufKeys.BlockCount(arch), source),
            HeadCount = headCount,
            KvHeadCount = GgufValues.GetOptionalInt32(md, GgufKeys.HeadCountKv(arch), source) ?? headCount,
            VocabSize = (int)vocab,
            ContextLength = GgufValues.GetInt32(md, GgufKeys.ContextLength(arch), source),
            RopeTheta = GgufValues.GetOptionalFloat(md, GgufKeys.RopeFreqBase(arch), source) ?? 10000f,
            RmsEps = GgufValues.GetOptionalFloat(md, GgufKeys.RmsEpsilon(arch), source)
                ?? throw new InvalidDataException($"{source}: metadata '{GgufKeys.RmsEpsilon(arch)}' is missing, expected a number."),
            RopeLayout = RopeLayout.Interleaved,   // llama.cpp's converter permutes HF q/k back to adjacent pairs
        };
        config.Validate(source);

        if (GgufValues.GetOptionalInt32(md, GgufKeys.VocabSize(arch), source) is int statedVocab && statedVocab != config.VocabSize)
            throw new InvalidDataException(
                $"{source}: metadata '{GgufKeys.VocabSize(arch)}' is {statedVocab}, but '{LlamaTensorNames.TokenEmbedding}' has {config.VocabSize} rows.");
        if (GgufValues.GetOptionalInt32(md, GgufKeys.RopeDimensionCount(arch), source) is int ropeDims && ropeDims != config.HeadDim)
            throw new InvalidDataException(
                $"{source}: metadata '{GgufKeys.RopeDimensionCount(arch)}' is {ropeDims}, expected the head dim {config.HeadDim} (partial RoPE is not supported).");
        if (GgufValues.GetOptionalString(md, GgufKeys.RopeScalingType(arch), source) is string scaling && scaling != GgufKeys.RopeScalingNone)
            throw new InvalidDataException(
                $"{source}: metadata '{GgufKeys.RopeScalingType(arch)}' is '{scaling}'; RoPE scaling is not supported (expected '{GgufKeys.RopeScalingNone}').");
        return config;
    }

    private static void CheckRange(string source, string name, int value, int max)
    {
        if (value <= 0)
            throw new InvalidDataException($"{source}: {name} is {value}, expected a positive number.");
        if (value > max)
            throw new InvalidDataException($"{source}: {name} is {value}, expected at most {max}.");
    }
}
