using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Hip.Inference;

/// <summary>
/// Reads llama2.c version-0 checkpoints (legacy export, docs/model-formats.md): seven int32 header fields, then float32 arrays
/// stacked per kind. The file size must be exactly what the header implies.
/// </summary>
public static class Llama2cReader
{
    /// <summary>Bytes of the version-0 header: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len.</summary>
    public const int HeaderBytes = 7 * sizeof(int);

    /// <summary>"ak42" magic of the version 1 and 2 exports, read as a little-endian uint32.</summary>
    public const uint VersionedMagic = 0x616b3432;

    /// <summary>Reads the checkpoint at <paramref name="path"/> into host memory (all weights F32).</summary>
    public static LlamaCheckpoint Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
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
        var config = new LlamaConfig
        {
            Dim = Field(0),
            HiddenDim = Field(1),
            LayerCount = Field(2),
            HeadCount = Field(3),
            KvHeadCount = Field(4),
            VocabSize = vocab == int.MinValue ? 0 : Math.Abs(vocab),
            ContextLength = Field(6),
        };
        config.Validate($"{path} (no GGUF magic; read as a llama2.c version-0 header)");

        // size: every count is bounded by Validate, so these products fit in a long
        var c = config;
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

        // weights, stacked per kind over the layers
        var tokenEmbedding = Read(stream, path, "token_embedding", c.VocabSize, c.Dim);
        var attentionNorm = ReadPerLayer(stream, path, "rms_att", c.LayerCount, 1, c.Dim);
        var wq = ReadPerLayer(stream, path, "wq", c.LayerCount, c.Dim, c.Dim);
        var wk = ReadPerLayer(stream, path, "wk", c.LayerCount, c.KvDim, c.Dim);
        var wv = ReadPerLayer(stream, path, "wv", c.LayerCount, c.KvDim, c.Dim);
        var wo = ReadPerLayer(stream, path, "wo", c.LayerCount, c.Dim, c.Dim);
        var ffnNorm = ReadPerLayer(stream, path, "rms_ffn", c.LayerCount, 1, c.Dim);
        var w1 = ReadPerLayer(stream, path, "w1", c.LayerCount, c.HiddenDim, c.Dim);
        var w2 = ReadPerLayer(stream, path, "w2", c.LayerCount, c.Dim, c.HiddenDim);
        var w3 = ReadPerLayer(stream, path, "w3", c.LayerCount, c.HiddenDim, c.Dim);
        var outputNorm = Read(stream, path, "rms_final", 1, c.Dim);
        stream.Seek((long)c.ContextLength * c.HeadDim * sizeof(float), SeekOrigin.Current);   // freq_cis: run.c recomputes RoPE
        var output = shared ? null : Read(stream, path, "wcls", c.VocabSize, c.Dim);

        var layerTensors = new LlamaLayerTensors[c.LayerCount];
        for (int l = 0; l < c.LayerCount; l++)
        {
            layerTensors[l] = new LlamaLayerTensors
            {
                AttentionNorm = attentionNorm[l], Wq = wq[l], Wk = wk[l], Wv = wv[l], Wo = wo[l],
                FfnNorm = ffnNorm[l], W1 = w1[l], W2 = w2[l], W3 = w3[l],
            };
        }
        return new LlamaCheckpoint
        {
            Path = path,
            FileFormat = "llama2.c",
            Config = config,
            TokenEmbedding = tokenEmbedding,
            OutputNorm = outputNorm,
            Output = output,
            Layers = layerTensors,
            Metadata = new Dictionary<string, object>(),
            FileBytes = fileBytes,
        };
    }

    private static HostTensor[] ReadPerLayer(Stream stream, string path, string name, int layers, int rows, int cols)
    {
        var tensors = new HostTensor[layers];
        for (int l = 0; l < layers; l++)
            tensors[l] = Read(stream, path, $"{name}[{l}]", rows, cols);
        return tensors;
    }

    private static HostTensor Read(Stream stream, string path, string name, int rows, int cols)
    {
        long count = (long)rows * cols;
        if (count > Array.MaxLength)
            throw new InvalidDataException($"{path}: tensor '{name}' [{rows}, {cols}] has {count} elements, more than one host array holds.");
        var values = new float[count];
        for (int start = 0; start < values.Length; start += 1 << 24)   // in chunks: a multi-GiB span of bytes overflows
            stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan(start, Math.Min(1 << 24, values.Length - start))));
        return HostTensor.FromFloats(name, rows, cols, values);
    }
}
