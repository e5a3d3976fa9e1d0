using System.Buffers.Binary;

namespace Hip.Inference;

/// <summary>
/// Reads llama2.c version-0 checkpoints (legacy export, docs/model-formats.md): seven int32 header fields, then float32
/// arrays stacked per kind. The file size must be exactly what the header implies. The header is presented as the
/// equivalent GGUF llama keys and every array as the GGUF tensors of each layer, so the llama architecture loads it
/// like any GGUF file.
/// </summary>
public static class Llama2cReader
{
    /// <summary>Bytes of the version-0 header: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len.</summary>
    public const int HeaderBytes = 7 * sizeof(int);

    /// <summary>"ak42" magic of the version 1 and 2 exports, read as a little-endian uint32.</summary>
    public const uint VersionedMagic = 0x616b3432;

    /// <summary>The checkpoint's header as GGUF llama metadata and its arrays as a tensor table (F32, absolute offsets).</summary>
    public static (IReadOnlyDictionary<string, object> Metadata, IReadOnlyList<ModelTensor> Tensors) ReadLayout(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        long fileBytes = stream.Length;

        // header
        if (fileBytes < HeaderBytes)
            throw new InvalidDataException($"{path}: file is {fileBytes} bytes, shorter than the {HeaderBytes}-byte llama2.c header.");
        var header = new byte[HeaderBytes];
        stream.ReadExactly(header);
        int Field(int i) => BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(i * 4));
        if ((uint)Field(0) == VersionedMagic)
            throw new InvalidDataException(
                $"{path}: llama2.c checkpoint version {Field(1)} (\"ak42\" header) is not supported; only version 0 (legacy export) is.");
        int vocab = Field(5);
        bool shared = vocab > 0;   // negative vocab: a separate classifier follows
        var c = new ModelConfig
        {
            Dim = Field(0),
            HiddenDim = Field(1),
            LayerCount = Field(2),
            HeadCount = Field(3),
            KvHeadCount = Field(4),
            VocabSize = vocab == int.MinValue ? 0 : Math.Abs(vocab),
            ContextLength = Field(6),
        };
        c.Validate($"{path} (no GGUF magic; read as a llama2.c version-0 header)");

        // size: every count is bounded by Validate, so these products fit in a long
        long layers = c.LayerCount, dim = c.Dim, kvDim = c.KvDim, hidden = c.HiddenDim;
        long floats = (long)c.VocabSize * dim                  // token_embedding
            + layers * dim * 2                                 // rms_att, rms_ffn
            + layers * dim * (2 * dim + 2 * kvDim)             // wq, wk, wv, wo
            + layers * hidden * dim * 3                        // w1, w2, w3
            + dim                                              // rms_final
            + (long)c.ContextLength * c.HeadDim                // freq_cis_real and _imag, [seq_len, head_size / 2] each
            + (shared ? 0 : (long)c.VocabSize * dim);          // wcls
        long expected = HeaderBytes + floats * sizeof(float);
        if (fileBytes != expected)
            throw new InvalidDataException(
                $"{path}: llama2.c header (dim {c.Dim}, hidden {c.HiddenDim}, layers {c.LayerCount}, heads {c.HeadCount}, kv heads {c.KvHeadCount}, vocab {vocab}, seq_len {c.ContextLength}) implies {expected} bytes, found {fileBytes}.");

        // arrays, stacked per kind over the layers, named as GGUF names them
        var tensors = new List<ModelTensor>();
        long offset = HeaderBytes;
        void Add(string name, long rows, long cols)
        {
            tensors.Add(new ModelTensor(name, rows == 1 ? [cols] : [cols, rows], GgmlType.F32, offset));
            offset += rows * cols * sizeof(float);
        }
        void PerLayer(string name, long rows, long cols)
        {
            for (int l = 0; l < c.LayerCount; l++)
                Add($"blk.{l}.{name}", rows, cols);
        }
        Add("token_embd.weight", c.VocabSize, dim);
        PerLayer("attn_norm.weight", 1, dim);
        PerLayer("attn_q.weight", dim, dim);
        PerLayer("attn_k.weight", kvDim, dim);
        PerLayer("attn_v.weight", kvDim, dim);
        PerLayer("attn_output.weight", dim, dim);
        PerLayer("ffn_norm.weight", 1, dim);
        PerLayer("ffn_gate.weight", hidden, dim);   // w1
        PerLayer("ffn_down.weight", dim, hidden);   // w2
        PerLayer("ffn_up.weight", hidden, dim);     // w3
        Add("output_norm.weight", 1, dim);
        offset += (long)c.ContextLength * c.HeadDim * sizeof(float);   // freq_cis: run.c recomputes RoPE, so do we
        if (!shared)
            Add("output.weight", c.VocabSize, dim);

        const string arch = GgufKeys.ArchitectureLlama;
        var metadata = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [GgufKeys.Architecture] = arch,
            [GgufKeys.EmbeddingLength(arch)] = c.Dim,
            [GgufKeys.FeedForwardLength(arch)] = c.HiddenDim,
            [GgufKeys.BlockCount(arch)] = c.LayerCount,
            [GgufKeys.HeadCount(arch)] = c.HeadCount,
            [GgufKeys.HeadCountKv(arch)] = c.KvHeadCount,
            [GgufKeys.ContextLength(arch)] = c.ContextLength,
            [GgufKeys.VocabSize(arch)] = c.VocabSize,
            [GgufKeys.RmsEpsilon(arch)] = 1e-5f,      // llama2.c's run.c
            [GgufKeys.RopeFreqBase(arch)] = 10000f,
        };
        return (metadata, tensors);
    }
}
