using Hip.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Inference;

/// <summary>
/// What every decoder-only architecture shares: the device buffers, the input slots, the RoPE tables, the attention
/// policies, and the blocks a forward pass is built from (embedding, attention, SwiGLU feed-forward, classifier). Each
/// architecture (one file each, in Models/Architectures) reads its hyper-parameters, declares its tensor table and writes
/// its forward pass top to bottom from these blocks. Everything stays on the device; only the sampled id comes back.
/// </summary>
public abstract class TransformerModel : ILanguageModel
{
    // Legend: x residual stream, xb/xb2 scratch rows, q/k/v projections, att attention output, hb/hb2 FFN hidden,
    // l layer; all activations [rows ≤ MaxBatch, width].
    private readonly IAttentionPolicy[] _attention;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _x, _xb, _xb2, _q, _k, _v, _att, _hb, _hb2, _logits, _cos, _sin;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _tokens;
    private readonly int[] _hostToken = new int[1];
    private readonly Dictionary<KvCache, StepGraph> _decodeGraphs = [];   // one captured decode step per cache
    private KvCache? _lastCache;   // the sequence the attention policies' state (HiP masks) belongs to
    private int _lastEnd;

    /// <summary>The validated shape.</summary>
    public ModelConfig Config { get; }

    /// <summary>The device weights, typed per slot.</summary>
    protected ModelWeights Weights { get; }

    public KernelSet Kernels { get; }
    public int MaxBatch { get; }
    public int MaxPositions { get; }
    public long WeightBytes => Weights.SizeInBytes;
    public ArrayView<float> Logits => _logits.View;

    /// <summary>How the last decode step ran: "CUDA graph", or "eager" with the reason capture was not used.</summary>
    public string DecodeGraphStatus { get; private set; } = "no decode step yet";

    /// <summary>How caches made by <see cref="CreateCache"/> store keys and values (F16 by default; F32 for exactness tests).</summary>
    public KvPrecision KvPrecision { get; set; } = KvPrecision.F16;

    /// <param name="weights">Uploaded weights; the model disposes them.</param>
    /// <param name="ropeFactors">Per-frequency RoPE divisors [headDim / 2], or empty.</param>
    /// <param name="attention">The policy of each layer (dense or HiP), chosen by the caller; the model disposes them.</param>
    protected TransformerModel(KernelSet kernels, ModelConfig config, ModelWeights weights, int maxPositions, int maxBatch,
        ReadOnlySpan<float> ropeFactors, Func<int, IAttentionPolicy> attention)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPositions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        Config = config;
        Weights = weights;
        Kernels = kernels;
        MaxBatch = maxBatch;
        MaxPositions = maxPositions;
        var (a, c) = (kernels.Accelerator, config);
        long rows = maxBatch;
        _x = a.Allocate1D<float>(rows * c.Dim);
        _xb = a.Allocate1D<float>(rows * Math.Max(c.Dim, c.QueryDim));
        _xb2 = a.Allocate1D<float>(rows * c.Dim);
        _q = a.Allocate1D<float>(rows * c.QueryDim);
        _k = a.Allocate1D<float>(rows * c.KvDim);
        _v = a.Allocate1D<float>(rows * c.KvDim);
        _att = a.Allocate1D<float>(rows * c.QueryDim);
        _hb = a.Allocate1D<float>(rows * c.HiddenDim);
        _hb2 = a.Allocate1D<float>(rows * c.HiddenDim);
        _logits = a.Allocate1D<float>(c.VocabSize);
        _tokens = a.Allocate1D<int>(maxBatch);
        var (cos, sin) = RopeTables.Compute(maxPositions, c.HeadDim, c.RopeTheta, ropeFactors, c.RopeAttentionFactor);
        _cos = a.Allocate1D(cos);
        _sin = a.Allocate1D(sin);
        _attention = Enumerable.Range(0, c.LayerCount).Select(attention).ToArray();
    }

    /// <summary>Device bytes of the activations, logits and RoPE tables for these sizes (memory planning before loading).</summary>
    public static long ScratchBytes(ModelConfig c, int maxPositions, int maxBatch) =>
        sizeof(float) * ((long)maxBatch * (3L * c.Dim + 3L * c.QueryDim + 2L * c.KvDim + 2L * c.HiddenDim)
            + c.VocabSize + (long)maxPositions * c.HeadDim) + sizeof(int) * (long)maxBatch
        + PrefillScratchBytes(c, maxBatch);

    // what a tensor-core prefill adds (KernelSet.Prefill.cs, HipAttention): the activations in fp16, a quantized weight
    // dequantized to fp16 (the largest projection), and HiP's prefill mask at its largest (MaskEstimation.MaxChunks a block)
    private static long PrefillScratchBytes(ModelConfig c, int maxBatch) =>
        maxBatch < KernelSet.TensorCoreMinRows ? 0
            : sizeof(ushort) * ((long)maxBatch * Math.Max(c.Dim, c.HiddenDim) + (long)Math.Max(c.Dim, c.QueryDim) * Math.Max(c.Dim, c.HiddenDim))
              + sizeof(int) * (long)c.HeadCount * ((maxBatch + 15) / 16) * (MaskEstimation.MaxChunks + 1);

    public KvCache CreateCache(int capacity)
    {
        if (capacity > MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"The model was built for at most {MaxPositions} positions.");
        return new KvCache(Kernels, Config.LayerCount, Config.KvHeadCount, Config.HeadDim, capacity, KvPrecision);
    }

    public void SetTokens(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens.Length, $"At most {MaxBatch} tokens per forward pass.");
        foreach (int id in tokens)
            if ((uint)id >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), id, $"Token id outside the vocabulary [0, {Config.VocabSize}).");
        _tokens.View.BaseView.SubView(0, tokens.Length).CopyFromCPU(Kernels.Stream, tokens);
    }

    /// <summary>
    /// Runs input slots 0 .. count − 1 at the cache's next positions and appends their keys and values. A prefill (count
    /// &gt; 1) passes its position to the kernels; a decode step (count = 1) reads it from the device and moves it on, so
    /// every step launches the same kernels with the same arguments: the first step of a sequence runs eagerly, then the
    /// step is captured once as a CUDA graph and replayed (<see cref="StepGraph"/>; eager on the CPU accelerator or with
    /// HIP_CUDA_GRAPH=0). A prefill drops the captured steps, since it may grow the scratch buffers they use.
    /// </summary>
    public void Forward(int count, KvCache cache)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxBatch);
        int startPos = cache.Length;
        if (startPos + count > cache.Capacity)
            throw new InvalidOperationException($"The KV cache holds {cache.Capacity} positions; {startPos} are used and {count} more do not fit.");
        if (cache != _lastCache || startPos != _lastEnd)   // another sequence, or a rewound one: cached masks are stale
            foreach (var policy in _attention)
                policy.Reset();
        _lastCache = cache;
        _lastEnd = startPos + count;
        if (count > 1)
        {
            DropDecodeGraphs();
            Kernels.Profile?.BeginStep(LaunchProfile.Prefill);   // HIP_PROFILE=1: each prefill chunk timed by launch label
            Forward(count, cache, startPos);
            Kernels.Profile?.EndStep();
            cache.Length = startPos + count;
            return;
        }
        cache.SyncPosition();                            // a launch only when the host moved the cache
        if (Kernels.Profile is { } profile)              // HIP_PROFILE=1: eager, with an event between launches
        {
            profile.BeginStep();
            DecodeStep(cache);
            profile.EndStep();
            DecodeGraphStatus = $"eager ({LaunchProfile.Variable}=1 times every launch)";
        }
        else if (_decodeGraphs.TryGetValue(cache, out var graph))
        {
            graph.Launch();
        }
        else
        {
            DecodeStep(cache);                           // eager: loads kernels and grows scratch before any capture
            var captured = StepGraph.Capture(Kernels, () => DecodeStep(cache));
            _decodeGraphs[cache] = captured;
            DecodeGraphStatus = captured.IsGraph ? "CUDA graph" : $"eager ({captured.FallbackReason})";
        }
        cache.AdvancedOnDevice();
    }

    // one decode token: the forward pass at the device position, then the position moves on by one (on the device)
    private void DecodeStep(KvCache cache)
    {
        Forward(1, cache, KvPosition.OnDevice);
        Kernels.AdvancePosition(cache.Position);
    }

    private void DropDecodeGraphs()
    {
        foreach (var graph in _decodeGraphs.Values)
            graph.Dispose();
        _decodeGraphs.Clear();
    }

    /// <summary>
    /// The architecture's forward pass over input slots 0 .. count − 1 at positions startPos .. (or, for one token, at the
    /// cache's device position when startPos is <see cref="KvPosition.OnDevice"/>); logits of the last.
    /// </summary>
    protected abstract void Forward(int count, KvCache cache, int startPos);

    public int ArgMaxToInput()
    {
        Kernels.Profile?.Resume();
        Kernels.ArgMax(_logits.View, Config.VocabSize, _tokens.View, 0);
        Kernels.Profile?.EndStep();
        _tokens.View.SubView(0, 1).CopyToCPU(Kernels.Stream, _hostToken);
        return _hostToken[0];
    }

    public void ReadLogits(Span<float> destination) => _logits.View.BaseView.CopyToCPU(Kernels.Stream, destination);

    // ---- blocks

    /// <summary>x = token_embd[tokens]: the residual stream of the input slots.</summary>
    protected void Embed(int count) => Kernels.Embed(Weights.TokenEmbedding, _tokens.View, count, _x.View);

    /// <summary>
    /// Pre-norm self-attention with a residual: x += Wo · attention(rope(Wq·n + bq), rope(Wk·n + bk), Wv·n + bv) with
    /// n = rmsnorm(x) (the norm and the three projections as one call: one int8 quantization for the three in decode);
    /// the keys and values are appended to the cache first. Biases are used where the file has them.
    /// </summary>
    protected void AttentionBlock(int l, int count, KvCache cache, int startPos)
    {
        var (c, w, op) = (Config, Weights.Layers[l], Kernels);
        ArrayView<float> x = _x.View, xb = _xb.View, xb2 = _xb2.View, q = _q.View, k = _k.View, v = _v.View, att = _att.View;
        op.RmsNormMatMul(x, w.AttentionNorm.View, c.RmsEps, xb, count, c.Dim, [(w.Wq, q), (w.Wk, k), (w.Wv, v)]);
        AddBias(q, w.Bq, count, w.Wq.Rows);
        AddBias(k, w.Bk, count, w.Wk.Rows);
        AddBias(v, w.Bv, count, w.Wv.Rows);
        op.Rope(q, k, _cos.View, _sin.View, count, c.HeadCount, c.KvHeadCount, c.HeadDim, startPos, c.RopeLayout, cache.Position);
        op.KvStore(k, v, cache.Layer(l), count, c.KvHeadCount, c.HeadDim, startPos, cache.Position);
        _attention[l].Run(l, q, cache, count, startPos, att);
        op.MatMul(att, w.Wo, xb2, count);
        op.ResidualAdd(x, xb2, count * c.Dim);
    }

    /// <summary>Pre-norm SwiGLU feed-forward with a residual: x += W_down · (silu(W_gate · n) ⊙ (W_up · n)), n = rmsnorm(x).</summary>
    protected void SwiGluBlock(int l, int count)
    {
        var (c, w, op) = (Config, Weights.Layers[l], Kernels);
        ArrayView<float> x = _x.View, xb = _xb.View, xb2 = _xb2.View, hb = _hb.View, hb2 = _hb2.View;
        op.RmsNormMatMul(x, w.FfnNorm.View, c.RmsEps, xb, count, c.Dim, [(w.Gate, hb), (w.Up, hb2)]);
        op.SwiGlu(hb, hb2, count * c.HiddenDim);
        op.MatMul(hb, w.Down, xb2, count);
        op.ResidualAdd(x, xb2, count * c.Dim);
    }

    /// <summary>Logits of the last position: output · rmsnorm(x[count − 1]).</summary>
    protected void Classifier(int count)
    {
        var (c, op) = (Config, Kernels);
        var last = _x.View.SubView((long)(count - 1) * c.Dim, c.Dim);
        op.RmsNorm(last, Weights.OutputNorm.View, _xb.View, 1, c.Dim, c.RmsEps);
        op.MatMul(_xb.View, Weights.Output, _logits.View, 1);
    }

    private void AddBias(ArrayView<float> output, MemoryBuffer1D<float, Stride1D.Dense>? bias, int count, int width)
    {
        if (bias is not null)
            Kernels.AddBias(output, bias.View, count, width);
    }

    public void Dispose()
    {
        DropDecodeGraphs();
        foreach (var buffer in new MemoryBuffer[] { _x, _xb, _xb2, _q, _k, _v, _att, _hb, _hb2, _logits, _cos, _sin, _tokens })
            buffer.Dispose();
        Weights.Dispose();
        foreach (var policy in _attention.Distinct().OfType<IDisposable>())
            policy.Dispose();
        GC.SuppressFinalize(this);
    }
}
