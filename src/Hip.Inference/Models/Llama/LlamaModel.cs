using Hip.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Inference;

/// <summary>
/// The Llama forward pass on the device. Tokens go in through <see cref="SetTokens"/> (prompts) or stay on the device
/// (<see cref="ArgMaxToInput"/>, greedy decode); the next-token logits of the last position land in <see cref="Logits"/>.
/// </summary>
public sealed class LlamaModel : IDisposable
{
    // Legend: x residual stream, xb/xb2 scratch rows, q/k/v projections, att attention output, hb/hb2 FFN hidden,
    // l layer, all activations [rows ≤ MaxBatch, width].
    private readonly LlamaConfig _config;
    private readonly KernelSet _kernels;
    private readonly LlamaWeights _weights;
    private readonly IAttentionPolicy[] _attention;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _x, _xb, _xb2, _q, _k, _v, _att, _hb, _hb2, _logits, _cos, _sin;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _tokens;
    private readonly int[] _hostToken = new int[1];
    private KvCache? _lastCache;   // the sequence the attention policies' state (HiP masks) belongs to
    private int _lastEnd;

    public LlamaConfig Config => _config;
    public KernelSet Kernels => _kernels;

    /// <summary>The most tokens one <see cref="Forward"/> call takes (longer prompts are fed in chunks).</summary>
    public int MaxBatch { get; }

    /// <summary>Positions the RoPE tables cover; caches may not be longer.</summary>
    public int MaxPositions { get; }

    /// <summary>Next-token logits of the last forwarded position: [vocab].</summary>
    public ArrayView<float> Logits => _logits.View;

    public long WeightBytes => _weights.SizeInBytes;

    /// <summary>How caches made by <see cref="CreateCache"/> store keys and values.</summary>
    public KvPrecision KvPrecision { get; init; } = KvPrecision.F16;

    /// <param name="attention">The policy of each layer (dense or HiP), chosen by the caller; the model disposes them.</param>
    public LlamaModel(KernelSet kernels, LlamaCheckpoint checkpoint, int maxPositions, int maxBatch,
        Func<int, IAttentionPolicy> attention)
    {
        _config = checkpoint.Config;
        _kernels = kernels;
        MaxBatch = maxBatch;
        MaxPositions = maxPositions;
        var a = kernels.Accelerator;
        _weights = new LlamaWeights(a, checkpoint);
        var c = _config;
        _x = a.Allocate1D<float>((long)maxBatch * c.Dim);
        _xb = a.Allocate1D<float>((long)maxBatch * c.Dim);
        _xb2 = a.Allocate1D<float>((long)maxBatch * c.Dim);
        _q = a.Allocate1D<float>((long)maxBatch * c.Dim);
        _k = a.Allocate1D<float>((long)maxBatch * c.KvDim);
        _v = a.Allocate1D<float>((long)maxBatch * c.KvDim);
        _att = a.Allocate1D<float>((long)maxBatch * c.Dim);
        _hb = a.Allocate1D<float>((long)maxBatch * c.HiddenDim);
        _hb2 = a.Allocate1D<float>((long)maxBatch * c.HiddenDim);
        _logits = a.Allocate1D<float>(c.VocabSize);
        _tokens = a.Allocate1D<int>(maxBatch);
        var (cos, sin) = Rope.Tables(maxPositions, c.HeadDim, c.RopeTheta);
        _cos = a.Allocate1D(cos);
        _sin = a.Allocate1D(sin);
        _attention = Enumerable.Range(0, c.LayerCount).Select(attention).ToArray();
    }

    /// <summary>A KV cache shaped for this model.</summary>
    public KvCache CreateCache(int capacity)
    {
        if (capacity > MaxPositions)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"The model was built for at most {MaxPositions} positions.");
        return new KvCache(_kernels, _config.LayerCount, _config.KvHeadCount, _config.HeadDim, capacity, KvPrecision);
    }

    /// <summary>Copies up to <see cref="MaxBatch"/> token ids to the device input slots.</summary>
    public void SetTokens(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens.Length, $"At most {MaxBatch} tokens per forward pass.");
        foreach (int id in tokens)
            if ((uint)id >= (uint)_config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), id, $"Token id outside the vocabulary [0, {_config.VocabSize}).");
        _tokens.View.BaseView.SubView(0, tokens.Length).CopyFromCPU(_kernels.Stream, tokens);
    }

    /// <summary>
    /// Runs the input slots 0 .. count − 1 at the cache's next positions and appends their keys and values. A one-token
    /// step reads its position from the device (<see cref="KvCache.Position"/>) and moves it on at the end, so every
    /// decode step launches the same kernels with the same arguments; a prefill passes its position as an argument.
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

        bool decode = count == 1;
        int at = decode ? KvPosition.OnDevice : startPos;      // where the kernels take the position from
        if (decode)
            cache.SyncPosition();                               // no launch unless the host moved the cache
        var (c, w, op) = (_config, _weights, _kernels);
        ArrayView<float> x = _x.View, xb = _xb.View, xb2 = _xb2.View, q = _q.View, k = _k.View, v = _v.View;
        ArrayView<float> att = _att.View, hb = _hb.View, hb2 = _hb2.View;
        op.Embed(w.TokenEmbedding, _tokens.View, count, x);
        for (int l = 0; l < c.LayerCount; l++)
        {
            var layer = w.Layers[l];
            // attention
            op.RmsNorm(x, layer.AttentionNorm.View, xb, count, c.Dim, c.RmsEps);
            op.MatMul(xb, layer.Wq, q, count);
            op.MatMul(xb, layer.Wk, k, count);
            op.MatMul(xb, layer.Wv, v, count);
            op.Rope(q, k, _cos.View, _sin.View, count, c.HeadCount, c.KvHeadCount, c.HeadDim, at, c.RopeLayout, cache.Position);
            op.KvStore(k, v, cache.Layer(l), count, c.KvHeadCount, c.HeadDim, at, cache.Position);
            _attention[l].Run(l, q, cache, count, at, att);
            op.MatMul(att, layer.Wo, xb2, count);
            op.ResidualAdd(x, xb2, count * c.Dim);
            // feed-forward (SwiGLU)
            op.RmsNorm(x, layer.FfnNorm.View, xb, count, c.Dim, c.RmsEps);
            op.MatMul(xb, layer.W1, hb, count);
            op.MatMul(xb, layer.W3, hb2, count);
            op.SwiGlu(hb, hb2, count * c.HiddenDim);
            op.MatMul(hb, layer.W2, xb2, count);
            op.ResidualAdd(x, xb2, count * c.Dim);
        }
        // classifier on the last position only
        var last = x.SubView((long)(count - 1) * c.Dim, c.Dim);
        op.RmsNorm(last, w.OutputNorm.View, xb, 1, c.Dim, c.RmsEps);
        op.MatMul(xb, w.Output, _logits.View, 1);
        if (decode)
            cache.AdvancePosition();                            // device position + 1, host Length + 1
        else
            cache.Length = startPos + count;
    }

    /// <summary>Greedy step: writes argmax(logits) into input slot 0 for the next forward pass and returns it.</summary>
    public int ArgMaxToInput()
    {
        _kernels.ArgMax(_logits.View, _config.VocabSize, _tokens.View, 0);
        _tokens.View.SubView(0, 1).CopyToCPU(_kernels.Stream, _hostToken);
        return _hostToken[0];
    }

    /// <summary>Copies the logits to the host (samplers that need the whole row).</summary>
    public void ReadLogits(Span<float> destination) => _logits.View.BaseView.CopyToCPU(_kernels.Stream, destination);

    public void Dispose()
    {
        foreach (var buffer in new MemoryBuffer[] { _x, _xb, _xb2, _q, _k, _v, _att, _hb, _hb2, _logits, _cos, _sin, _tokens })
            buffer.Dispose();
        _weights.Dispose();
        foreach (var policy in _attention.Distinct().OfType<IDisposable>())
            policy.Dispose();
    }
}
