using Hip.Inference;
using Hip.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Bench;

/// <summary>
/// One layer of a real model: the model file runs one prefill forward pass over a text on the CPU accelerator, and a
/// capturing attention policy copies the chosen layer's Q (RoPE applied) and its cached K and V to the host. The shape
/// (heads, KV heads, head dim) is the model's; the context is the token count (at most the trained context length).
/// Deterministic: the seed plays no part.
/// </summary>
public sealed class ModelDataset : IAttentionDataset
{
    /// <summary>The built-in text: a short children's story in the style stories260K was trained on (TinyStories).</summary>
    public const string BuiltInText = """
        Once upon a time, there was a little girl named Lily. She lived in a small house near a big green forest. Every morning, Lily liked to look out of her window and count the birds in the old oak tree.
        One day, her mom gave her a red kite with a long blue tail. "Can I fly it in the park?" Lily asked. Her mom smiled and said, "Yes, but stay close to the pond." Lily ran outside with her dog, Max, who was brown and very fast.
        At the park, the wind was strong. Lily held the string tight, and the kite went up, up, up into the sky. Max barked and jumped, because he wanted to catch the kite too. A boy named Tom came to watch. He had a yellow ball and a small toy truck.
        "Your kite is so pretty," Tom said. "Can I try?" Lily was a little scared to share, but she remembered what her dad always told her: sharing makes friends happy. She gave Tom the string and showed him how to pull it gently.
        Then the wind blew very hard. The kite flew into the tall tree by the pond and got stuck on a branch. Tom was sad and said, "I am sorry, Lily. I did not mean to lose your kite." Lily felt like crying, but she took a deep breath.
        An old man with a long white beard was sitting on a bench. He saw the children and walked over slowly. "Do not worry," he said. "I have a long stick at home." He came back with the stick and pushed the kite until it fell down softly into the grass.
        Lily and Tom clapped their hands and laughed. They said thank you to the kind old man. He gave them each a shiny apple from his bag, and they sat together on the bench to eat. Max lay at their feet and wagged his tail.
        When the sun began to go down, the sky turned orange and pink. Lily said goodbye to Tom and promised to play again tomorrow. She walked home with Max and the red kite. At dinner, she told her mom and dad about the big wind, the tall tree and the old man.
        The next day, it was raining, so Lily could not go to the park. She was bored at first. Then her dad brought out a box of paper, glue and crayons. "Let us make a new kite," he said. They drew a sun, a moon and a happy fish on the paper.
        Lily's little brother, Ben, wanted to help. He was only three, so he put glue everywhere, even on the cat. The cat, whose name was Snow, ran under the bed and would not come out. Everyone laughed, and Lily gave Snow a bowl of milk to say sorry.
        In the afternoon, the rain stopped and a rainbow came out over the hill. Lily took her two kites to the park. Tom was already there with his mom. He had made a green kite shaped like a frog. The three kites flew side by side in the bright blue sky.
        From that day on, Lily and Tom were best friends. They flew kites every Saturday, fed the ducks at the pond, and waved to the old man on the bench. Lily learned that when you share and help each other, even a bad day can turn into a good one.
        """;

    private readonly ModelConfig _config;
    private readonly int[] _tokens;

    public string Name => "model";

    /// <summary>The model file, as given or found.</summary>
    public string ModelPath { get; }

    /// <summary>The text file, or null for <see cref="BuiltInText"/>.</summary>
    public string? TextPath { get; }

    public int Layer { get; }
    public int LayerCount => _config.LayerCount;
    public int TrainedContext => _config.ContextLength;

    /// <summary>Tokens forwarded (BOS first), i.e. the context of the captured layer.</summary>
    public int Tokens => _tokens.Length;

    /// <summary>The captured layer's shape: the context is <see cref="Tokens"/>, the rest is the model's.</summary>
    public AttentionShape Shape { get; }

    /// <param name="modelPath">A GGUF or llama2.c file; null: the repository's models/stories260K/stories260K.gguf.</param>
    /// <param name="textPath">A UTF-8 text file; null: <see cref="BuiltInText"/>, repeated as often as the context needs.</param>
    /// <param name="layer">The layer to capture; null: the middle one (LayerCount / 2).</param>
    /// <param name="context">Tokens to forward; null: the model's context length, or fewer when a text file is shorter.</param>
    public ModelDataset(string? modelPath, string? textPath, int? layer, int? context)
    {
        ModelPath = modelPath ?? DefaultModelPath();
        if (!File.Exists(ModelPath))
            throw new UsageException($"--model '{ModelPath}' does not exist.");
        if (textPath is not null && !File.Exists(textPath))
            throw new UsageException($"--text '{textPath}' does not exist.");
        TextPath = textPath;
        using var source = ModelLoader.Open(ModelPath);
        var config = _config = source.Config;

        Layer = layer ?? config.LayerCount / 2;
        if (Layer < 0 || Layer >= config.LayerCount)
            throw new UsageException($"--layer {Layer} is outside the model's layers 0 .. {config.LayerCount - 1}.");
        if (context is int requested && (requested <= 0 || requested > config.ContextLength))
            throw new UsageException(
                $"--context {requested}: the model was trained on at most {config.ContextLength} positions (positions past that are " +
                $"meaningless); pass --context 1 .. {config.ContextLength}.");
        int want = context ?? config.ContextLength;

        var tokenizer = TokenizerLoader.ForModel(ModelPath, source.File.Metadata, source.File.Format, config.VocabSize);
        var tokens = new List<int>(tokenizer.Encode(textPath is null ? BuiltInText : File.ReadAllText(textPath), addBos: true));
        if (textPath is null)
        {
            var story = tokenizer.Encode("\n" + BuiltInText, addBos: false);
            while (tokens.Count < want)
                tokens.AddRange(story);
        }
        else if (tokens.Count < want)
        {
            if (context is not null)
                throw new UsageException($"--text '{textPath}' gives only {tokens.Count} tokens (BOS included); pass a longer text or --context {tokens.Count} or less.");
            want = tokens.Count;
        }
        _tokens = tokens.Take(want).ToArray();
        Shape = new AttentionShape(_tokens.Length, config.HeadCount, config.KvHeadCount, config.HeadDim);
    }

    public AttentionLayerData Create(AttentionShape shape, int queries, int seed)
    {
        if (shape != Shape)
            throw new ArgumentException($"The model dataset produces {Shape}, not {shape}.", nameof(shape));
        int t = _tokens.Length;
        using var gpu = Gpu.Create(DeviceKind.Cpu);
        var kernels = gpu.Kernels;
        var capture = new CapturingAttentionPolicy(kernels, _config, Layer);
        using var source = ModelLoader.Open(ModelPath);
        using var model = ModelLoader.Create(source, kernels, maxPositions: t, maxBatch: t, _ => capture);
        model.KvPrecision = KvPrecision.F32;   // the captured K/V are compared in float32
        using var cache = model.CreateCache(t);
        model.SetTokens(_tokens);
        model.Forward(t, cache);
        gpu.Synchronize();
        if (capture.Q is null || capture.K is null || capture.V is null)
            throw new InvalidOperationException($"Layer {Layer} was never run.");

        int row = shape.Heads * shape.HeadDim;
        var q = capture.Q.AsSpan((t - queries) * row, queries * row).ToArray();
        return new AttentionLayerData(q, capture.K, capture.V, t - queries);
    }

    /// <summary>models/stories260K/stories260K.gguf of the repository holding Hip.Agents.sln, found above the binary or the working directory.</summary>
    private static string DefaultModelPath()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Hip.Agents.sln")))
                    return Path.Combine(dir.FullName, "models", "stories260K", "stories260K.gguf");
        throw new UsageException("Hip.Agents.sln was not found above the binary or the working directory; pass --model PATH.");
    }

    /// <summary>
    /// Dense attention for every layer; on <paramref name="layer"/> it first copies q ([tokens, heads·headDim], RoPE
    /// applied) and the layer's cached K and V ([kvHeads, capacity, headDim]) to the host.
    /// </summary>
    private sealed class CapturingAttentionPolicy(KernelSet kernels, ModelConfig config, int layer) : IAttentionPolicy
    {
        private readonly DenseAttentionPolicy _dense = new(kernels, config);

        public float[]? Q { get; private set; }
        public float[]? K { get; private set; }
        public float[]? V { get; private set; }

        public void Run(int layerIndex, ArrayView<float> q, KvCache cache, int tokens, int startPos, ArrayView<float> o)
        {
            if (layerIndex == layer)
            {
                kernels.Accelerator.Synchronize();   // the projections, RoPE and the cache store are queued before this call
                Q = new float[(long)tokens * config.HeadCount * config.HeadDim];
                q.SubView(0, Q.Length).CopyToCPU(Q);
                var kv = cache.Layer(layerIndex);   // block layout, float32 (the model is built with KvPrecision.F32)
                var keys = new float[kv.KeysF32.Length];
                var values = new float[kv.ValuesF32.Length];
                kv.KeysF32.CopyToCPU(keys);
                kv.ValuesF32.CopyToCPU(values);
                K = KvLayoutConversion.ToHeadMajor(keys, config.KvHeadCount, cache.Capacity, config.HeadDim);
                V = KvLayoutConversion.ToHeadMajor(values, config.KvHeadCount, cache.Capacity, config.HeadDim);
            }
            _dense.Run(layerIndex, q, cache, tokens, startPos, o);
        }

        public void Reset() => _dense.Reset();
    }
}
