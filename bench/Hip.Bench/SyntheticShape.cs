using Hip.Inference;

namespace Hip.Bench;

/// <summary>
/// The shape of a published model, for random-weight files of the same size: llama.cpp's architecture name and keys,
/// tensor names and dims, and the per-tensor types of each <see cref="SyntheticWeightType"/>.
/// </summary>
internal sealed record SyntheticShape(
    string Name, string Architecture, int Dim, int LayerCount, int HeadCount, int KvHeadCount, int FeedForward, int VocabSize,
    double RopeBase, float RmsEpsilon, int ContextLength, bool TiedOutput, bool RopeFrequencies, bool QkvBias)
{
    public int HeadDim => Dim / HeadCount;

    /// <summary>Every shape by name; "tiny" is a few-MB shape for tests and the CPU accelerator.</summary>
    public static readonly IReadOnlyList<SyntheticShape> All =
    [
        new("llama-3.2-1b", "llama", 2048, 16, 32, 8, 8192, 128256, 500000, 1e-5f, 131072, TiedOutput: true, RopeFrequencies: true, QkvBias: false),
        new("llama-3.1-8b", "llama", 4096, 32, 32, 8, 14336, 128256, 500000, 1e-5f, 131072, TiedOutput: false, RopeFrequencies: true, QkvBias: false),
        new("qwen2.5-7b", "qwen2", 3584, 28, 28, 4, 18944, 152064, 1e6, 1e-6f, 32768, TiedOutput: false, RopeFrequencies: false, QkvBias: true),
        new("tiny", "llama", 256, 2, 4, 2, 512, 1024, 500000, 1e-5f, 2048, TiedOutput: false, RopeFrequencies: true, QkvBias: false),
    ];

    public static SyntheticShape Named(string name) =>
        All.FirstOrDefault(s => s.Name == name) ?? throw new UsageException(
            $"--synthetic '{name}' is not a known shape: use one of {string.Join(", ", All.Select(s => s.Name))}.");

    /// <summary>Parameters in the file (matrices, norms, biases), for reporting.</summary>
    public long ParameterCount => Tensors(SyntheticWeightType.F16).Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b));

    /// <summary>The tensor table in llama.cpp's order: GGUF dims (columns first) and the type for <paramref name="type"/>.</summary>
    public IReadOnlyList<GgufWriter.Tensor> Tensors(SyntheticWeightType type)
    {
        int qDim = HeadCount * HeadDim, kvDim = KvHeadCount * HeadDim;
        var list = new List<GgufWriter.Tensor>();
        void Matrix(string name, int cols, int rows, GgmlType quantType) =>
            list.Add(new(name, [cols, rows], type.Matrix(quantType)));
        void Vector(string name, int length) => list.Add(new(name, [length], GgmlType.F32));

        // Q4_K_M (llama.cpp llama-quant.cpp): token_embd Q4_K (Q6_K when tied), output Q6_K, attn_v and ffn_down Q6_K
        // in the first and last eighth of the layers and every third one between.
        Matrix("token_embd.weight", Dim, VocabSize, TiedOutput ? GgmlType.Q6_K : GgmlType.Q4_K);
        if (RopeFrequencies)
            Vector("rope_freqs.weight", HeadDim / 2);
        Vector("output_norm.weight", Dim);
        if (!TiedOutput)
            Matrix("output.weight", Dim, VocabSize, GgmlType.Q6_K);
        for (int l = 0; l < LayerCount; l++)
        {
            int n = LayerCount;
            bool moreBits = l < n / 8 || l >= 7 * n / 8 || (l - n / 8) % 3 == 2;
            var sensitive = moreBits ? GgmlType.Q6_K : GgmlType.Q4_K;
            string p = $"blk.{l}.";
            Vector(p + "attn_norm.weight", Dim);
            Matrix(p + "attn_q.weight", Dim, qDim, GgmlType.Q4_K);
            Matrix(p + "attn_k.weight", Dim, kvDim, GgmlType.Q4_K);
            Matrix(p + "attn_v.weight", Dim, kvDim, sensitive);
            if (QkvBias)
            {
                Vector(p + "attn_q.bias", qDim);
                Vector(p + "attn_k.bias", kvDim);
                Vector(p + "attn_v.bias", kvDim);
            }
            Matrix(p + "attn_output.weight", qDim, Dim, GgmlType.Q4_K);
            Vector(p + "ffn_norm.weight", Dim);
            Matrix(p + "ffn_gate.weight", Dim, FeedForward, GgmlType.Q4_K);
            Matrix(p + "ffn_up.weight", Dim, FeedForward, GgmlType.Q4_K);
            Matrix(p + "ffn_down.weight", FeedForward, Dim, sensitive);
        }
        return list;
    }

    /// <summary>llama.cpp's metadata for this shape, with a SentencePiece-style vocabulary of <see cref="VocabSize"/> unique pieces.</summary>
    public List<KeyValuePair<string, object>> Metadata(SyntheticWeightType type)
    {
        string a = Architecture;
        var kv = new List<KeyValuePair<string, object>>
        {
            new(GgufKeys.Architecture, a),
            new(GgufKeys.Name, $"synthetic-{Name}-{type.Name}"),
            new(GgufKeys.FileType, type.FileType),
            new(GgufKeys.ContextLength(a), (uint)ContextLength),
            new(GgufKeys.EmbeddingLength(a), (uint)Dim),
            new(GgufKeys.BlockCount(a), (uint)LayerCount),
            new(GgufKeys.FeedForwardLength(a), (uint)FeedForward),
            new(GgufKeys.HeadCount(a), (uint)HeadCount),
            new(GgufKeys.HeadCountKv(a), (uint)KvHeadCount),
            new(GgufKeys.RmsEpsilon(a), RmsEpsilon),
            new(GgufKeys.RopeFreqBase(a), (float)RopeBase),
            new(GgufKeys.RopeDimensionCount(a), (uint)HeadDim),
            new(GgufKeys.VocabSize(a), (uint)VocabSize),
        };
        if (type.IsQuantized)
            kv.Add(new(GgufKeys.QuantizationVersion, 2u));
        var (tokens, scores, types) = Vocabulary(VocabSize);
        kv.Add(new(GgufKeys.TokenizerModel, GgufKeys.TokenizerModelLlama));
        kv.Add(new(GgufKeys.Tokens, tokens));
        kv.Add(new(GgufKeys.Scores, scores));
        kv.Add(new(GgufKeys.TokenType, types));
        kv.Add(new(GgufKeys.UnknownTokenId, 0u));
        kv.Add(new(GgufKeys.BosTokenId, 1u));
        kv.Add(new(GgufKeys.EosTokenId, 2u));
        kv.Add(new(GgufKeys.AddBosToken, true));
        return kv;
    }

    // <unk> <s> </s>, the 256 byte tokens, then unique pieces "▁a", "b", "▁c", ... "▁ab", ... with falling scores.
    internal static (string[] Tokens, float[] Scores, int[] Types) Vocabulary(int size)
    {
        const int Normal = 1, Unknown = 2, Control = 3, Byte = 6;
        var tokens = new string[size];
        var scores = new float[size];
        var types = new int[size];
        tokens[0] = "<unk>"; types[0] = Unknown;
        tokens[1] = "<s>"; types[1] = Control;
        tokens[2] = "</s>"; types[2] = Control;
        for (int b = 0; b < 256; b++)
        {
            tokens[3 + b] = $"<0x{b:X2}>";
            types[3 + b] = Byte;
        }
        var letters = new System.Text.StringBuilder();
        for (int i = 259, piece = 0; i < size; i++, piece++)
        {
            letters.Clear();
            for (int n = piece / 2; ; n = n / 26 - 1)
            {
                letters.Insert(0, (char)('a' + n % 26));
                if (n < 26)
                    break;
            }
            tokens[i] = (piece % 2 == 0 ? "\u2581" : "") + letters;
            scores[i] = -(i - 259);
            types[i] = Normal;
        }
        return (tokens, scores, types);
    }
}
