using Hip.Kernels;

namespace Hip.Inference;

/// <summary>
/// An architecture the engine runs: how to read its hyper-parameters, its tensor table, and how to build its model.
/// <see cref="For"/> picks one by the file's general.architecture and refuses every other name with the list.
/// </summary>
public sealed class ModelArchitecture
{
    private static readonly ModelArchitecture[] s_all =
    [
        new(GgufKeys.ArchitectureLlama, LlamaModel.ReadConfig, LlamaModel.Tensors, LlamaModel.Create),
        new(GgufKeys.ArchitectureMistral, LlamaModel.ReadConfig, LlamaModel.Tensors, LlamaModel.Create),
        new(GgufKeys.ArchitectureQwen2, Qwen2Model.ReadConfig, Qwen2Model.Tensors, Qwen2Model.Create),
        new(GgufKeys.ArchitecturePhi3, Phi3Model.ReadConfig, Phi3Model.Tensors, Phi3Model.Create),
    ];

    private readonly Func<ModelFile, ModelConfig> _readConfig;
    private readonly Func<ModelConfig, IEnumerable<TensorSpec>> _tensors;
    private readonly Func<ModelParts, TransformerModel> _create;

    private ModelArchitecture(string name, Func<ModelFile, ModelConfig> readConfig, Func<ModelConfig, IEnumerable<TensorSpec>> tensors,
        Func<ModelParts, TransformerModel> create) =>
        (Name, _readConfig, _tensors, _create) = (name, readConfig, tensors, create);

    /// <summary>general.architecture as the file spells it.</summary>
    public string Name { get; }

    /// <summary>The architecture names the engine runs.</summary>
    public static IReadOnlyList<string> Supported { get; } = s_all.Select(a => a.Name).ToArray();

    /// <summary>The architecture of <paramref name="file"/>; an <see cref="InvalidDataException"/> names any other.</summary>
    public static ModelArchitecture For(ModelFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string name = GgufValues.GetString(file.Metadata, GgufKeys.Architecture, file.Path);
        var found = s_all.FirstOrDefault(a => a.Name == name);
        if (found is not null)
            return found;
        string why = name == GgufKeys.ArchitectureGemma2
            ? " (Gemma 2 needs logit soft-capping, post-attention/post-FFN norms, GELU and sliding-window layers, which are not implemented yet)"
            : "";
        throw new InvalidDataException(
            $"{file.Path}: architecture '{GgufReader.Show(name)}' is not supported{why}; supported: {string.Join(", ", Supported)}.");
    }

    /// <summary>The validated hyper-parameters of <paramref name="file"/>.</summary>
    public ModelConfig ReadConfig(ModelFile file) => _readConfig(file);

    /// <summary>Every tensor a file of this architecture and shape may hold.</summary>
    public IReadOnlyList<TensorSpec> Tensors(ModelConfig config) => _tensors(config).ToList();

    /// <summary>Builds the model over uploaded weights (the model owns them).</summary>
    public TransformerModel Create(KernelSet kernels, ModelConfig config, ModelWeights weights, int maxPositions, int maxBatch,
        Func<int, IAttentionPolicy> attention) =>
        _create(new ModelParts(kernels, config, weights, maxPositions, maxBatch, attention));

    /// <summary>Reads the keys every architecture shares ({arch}.embedding_length, ...) and checks the head shape.</summary>
    internal static ModelConfig ReadCommon(ModelFile file, string arch, RopeLayout layout)
    {
        var (md, source) = (file.Metadata, file.Path);
        var embedding = file.Find("token_embd.weight")
            ?? throw new InvalidDataException($"{source}: tensor 'token_embd.weight' is missing.");
        long vocab = embedding.Rows;
        if (vocab > int.MaxValue)
            throw new InvalidDataException($"{source}: tensor 'token_embd.weight' has {vocab} rows (GGUF dims {embedding.DimsText}), too many tokens.");
        int headCount = GgufValues.GetInt32(md, GgufKeys.HeadCount(arch), source);
        var config = new ModelConfig
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
            RopeLayout = layout,
        };
        config.Validate(source);
        if (GgufValues.GetOptionalInt32(md, GgufKeys.VocabSize(arch), source) is int statedVocab && statedVocab != config.VocabSize)
            throw new InvalidDataException(
                $"{source}: metadata '{GgufKeys.VocabSize(arch)}' is {statedVocab}, but 'token_embd.weight' has {config.VocabSize} rows.");
        foreach (var key in new[] { GgufKeys.RopeDimensionCount(arch), GgufKeys.KeyLength(arch), GgufKeys.ValueLength(arch) })
            if (GgufValues.GetOptionalInt32(md, key, source) is int dims && dims != config.HeadDim)
                throw new InvalidDataException(
                    $"{source}: metadata '{key}' is {dims}, expected the head dim {config.HeadDim} (= {config.Dim} / {config.HeadCount}); partial RoPE and other head widths are not supported.");
        if (GgufValues.GetOptionalString(md, GgufKeys.RopeScalingType(arch), source) is string scaling && scaling != GgufKeys.RopeScalingNone)
            throw new InvalidDataException(
                $"{source}: metadata '{GgufKeys.RopeScalingType(arch)}' is '{GgufReader.Show(scaling)}'; only '{GgufKeys.RopeScalingNone}' is supported (Llama 3.x frequency factors come as rope_freqs.weight).");
        return config;
    }

    /// <summary>The tensors of the Llama layout every architecture here starts from; <paramref name="perLayer"/> adds the block's own.</summary>
    internal static IEnumerable<TensorSpec> CommonTensors(ModelConfig c, bool tiedOutputOptional = true)
    {
        yield return TensorSpec.Global("token_embd.weight", WeightSlot.TokenEmbedding, c.VocabSize, c.Dim);
        yield return TensorSpec.Global("output_norm.weight", WeightSlot.OutputNorm, 1, c.Dim);
        yield return TensorSpec.Global("output.weight", WeightSlot.Output, c.VocabSize, c.Dim, required: !tiedOutputOptional);
        foreach (var spec in TensorSpec.PerLayer(c.LayerCount, "attn_norm.weight", WeightSlot.AttentionNorm, 1, c.Dim))
            yield return spec;
        foreach (var spec in TensorSpec.PerLayer(c.LayerCount, "attn_output.weight", WeightSlot.Wo, c.Dim, c.QueryDim))
            yield return spec;
        foreach (var spec in TensorSpec.PerLayer(c.LayerCount, "ffn_norm.weight", WeightSlot.FfnNorm, 1, c.Dim))
            yield return spec;
        foreach (var spec in TensorSpec.PerLayer(c.LayerCount, "ffn_down.weight", WeightSlot.Down, c.Dim, c.HiddenDim))
            yield return spec;
    }
}
