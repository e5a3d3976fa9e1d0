using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using Hip.Kernels;

namespace Hip.Bench;

/// <summary>
/// HiP (the C# reference path: <see cref="MaskEstimation.ReferenceBlock"/> + <see cref="BlockSparseAttention.ReferenceRow"/>)
/// against exact attention, per (query head, query block) of the sampled queries (HIP.md §11):
///   blockRecall  |estimated ∩ exact top-Kc key blocks of the middle| / min(Kc, middle blocks), a block scored by its max
///                logit over the block's queries (each masked to keys before its window);
///   massRecall   exact attention probability on sink + selected + window keys, mean over the block's queries;
///   relError     ‖O_hip − O_dense‖ / ‖O_dense‖ over the block's queries.
/// </summary>
internal static class QualityEvaluation
{
    public sealed record BlockResult(int Head, int Block, double BlockRecall, double MassRecall, double RelError, double RandomRecall, int MiddleBlocks);

    /// <summary>CPU seconds spent in HiP's mask search, the exact attention, and HiP's attention (summed over threads).</summary>
    public sealed class Timings
    {
        private long _mask, _exact, _hip;
        public double MaskSeconds => Stopwatch.GetElapsedTime(0, _mask).TotalSeconds;
        public double ExactSeconds => Stopwatch.GetElapsedTime(0, _exact).TotalSeconds;
        public double HipSeconds => Stopwatch.GetElapsedTime(0, _hip).TotalSeconds;
        public void Add(long mask, long exact, long hip)
        {
            Interlocked.Add(ref _mask, mask);
            Interlocked.Add(ref _exact, exact);
            Interlocked.Add(ref _hip, hip);
        }
    }

    /// <param name="halfMaskQueries">Score the mask with the queries rounded to fp16, as the tensor-core mask kernel
    /// (<see cref="MaskEstimationTc"/>) does; the attention itself keeps the float queries.</param>
    public static List<BlockResult> Evaluate(AttentionLayerData data, AttentionShape shape, HipAttentionOptions options, int threads, Timings timings,
        bool halfMaskQueries = false)
    {
        int queries = data.Q.Length / (shape.Heads * shape.HeadDim);
        float[] maskQueries = halfMaskQueries ? MaskEstimationTc.HalfQueries(data.Q) : data.Q;
        var args = MaskEstimation.Args.Create(queries, shape.Heads, shape.KvHeads, shape.HeadDim, data.FirstQueryPosition, options);
        // the references read the KV-cache block layout; the data set is head-major
        var blockKeys = KvLayoutConversion.ToBlocks(data.K, shape.KvHeads, shape.Context, shape.HeadDim);
        var blockValues = KvLayoutConversion.ToBlocks(data.V, shape.KvHeads, shape.Context, shape.HeadDim);
        var work = new List<(int Head, int Block)>();
        for (int h = 0; h < shape.Heads; h++)
            for (int m = 0; m < args.QueryBlocks; m++)
                work.Add((h, m));
        var results = new BlockResult[work.Count];
        Parallel.For(0, work.Count, new ParallelOptions { MaxDegreeOfParallelism = threads },
            i => results[i] = EvaluateBlock(data, maskQueries, blockKeys, blockValues, shape, options, args, work[i].Head, work[i].Block, timings));
        return results.ToList();
    }

    private static BlockResult EvaluateBlock(AttentionLayerData data, float[] maskQueries, float[] blockKeys, float[] blockValues, AttentionShape shape, HipAttentionOptions options,
        MaskEstimation.Args args, int h, int m, Timings timings)
    {
        int d = shape.HeadDim, bk = options.BlockSizeK, kc = options.Chunks;
        int g = h / (shape.Heads / shape.KvHeads);
        int blockStart = m * options.BlockSizeQ, blockLength = Math.Min(options.BlockSizeQ, args.Tokens - blockStart);
        int horizon = MaskEstimation.Horizon(args, m);
        int first = options.SinkTokens / bk, nb = MaskEstimation.MiddleBlocks(args, horizon);

        // HiP's mask for this (head, query block)
        long start = Stopwatch.GetTimestamp();
        var selected = new int[kc];
        int count = MaskEstimation.ReferenceBlock(maskQueries, blockKeys, selected, args, h, m);
        long maskTicks = Stopwatch.GetTimestamp() - start, hipTicks = 0;
        start = Stopwatch.GetTimestamp();

        var keys = data.K.AsSpan((int)((long)g * shape.Context * d), shape.Context * d);
        var values = data.V.AsSpan((int)((long)g * shape.Context * d), shape.Context * d);
        var scores = new float[horizon];
        var blockMax = new float[nb];
        Array.Fill(blockMax, float.NegativeInfinity);
        var dense = new float[d];
        var hip = new float[d];
        double massSum = 0, errorSquares = 0, denseSquares = 0;
        float scale = 1f / MathF.Sqrt(d);
        for (int t = blockStart; t < blockStart + blockLength; t++)
        {
            var q = data.Q.AsSpan((t * shape.Heads + h) * d, d);
            int visible = data.FirstQueryPosition + t + 1;

            // exact softmax over keys 0 .. visible − 1
            float max = float.NegativeInfinity;
            for (int j = 0; j < visible; j++)
                max = MathF.Max(max, scores[j] = Dot(q, keys.Slice(j * d, d)) * scale);
            for (int j = options.SinkTokens; j < visible - options.WindowTokens; j++)
                blockMax[j / bk - first] = MathF.Max(blockMax[j / bk - first], scores[j]);
            double sum = 0;
            for (int j = 0; j < visible; j++)
                sum += scores[j] = MathF.Exp(scores[j] - max);
            Array.Clear(dense);
            for (int j = 0; j < visible; j++)
                Axpy(scores[j], values.Slice(j * d, d), dense);

            // HiP: the keys it attends and its output
            long hipStart = Stopwatch.GetTimestamp();
            var attended = BlockSparseAttention.KeySet(selected.AsSpan(0, count), visible, options);
            double mass = 0;
            foreach (int j in attended)
                mass += scores[j];
            massSum += mass / sum;
            BlockSparseAttention.ReferenceRow(q, blockKeys, blockValues, hip, attended, g, shape.KvHeads, d, scale);
            hipTicks += Stopwatch.GetTimestamp() - hipStart;
            for (int x = 0; x < d; x++)
            {
                double exact = dense[x] / sum;
                errorSquares += (hip[x] - exact) * (hip[x] - exact);
                denseSquares += exact * exact;
            }
        }

        timings.Add(maskTicks, Stopwatch.GetTimestamp() - start - hipTicks, hipTicks);

        // exact top-Kc key blocks of the middle vs the estimated ones
        int want = Math.Min(kc, nb);
        var order = Enumerable.Range(0, nb).OrderByDescending(b => blockMax[b]).ThenBy(b => b).Take(want)
            .Select(b => (first + b) * bk).ToHashSet();
        int hits = selected.Take(count).Count(order.Contains);
        return new BlockResult(h, m,
            BlockRecall: want == 0 ? 1 : (double)hits / want,
            MassRecall: massSum / blockLength,
            RelError: Math.Sqrt(errorSquares / Math.Max(denseSquares, 1e-300)),
            RandomRecall: nb == 0 ? 1 : (double)want / nb,
            MiddleBlocks: nb);
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var va = MemoryMarshal.Cast<float, Vector<float>>(a);
        var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
        var acc = Vector<float>.Zero;
        for (int i = 0; i < va.Length; i++)
            acc += va[i] * vb[i];
        float s = Vector.Sum(acc);
        for (int i = va.Length * Vector<float>.Count; i < a.Length; i++)
            s += a[i] * b[i];
        return s;
    }

    // y += a · x
    private static void Axpy(float a, ReadOnlySpan<float> x, Span<float> y)
    {
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        var va = new Vector<float>(a);
        for (int i = 0; i < vx.Length; i++)
            vy[i] += va * vx[i];
        for (int i = vx.Length * Vector<float>.Count; i < x.Length; i++)
            y[i] += a * x[i];
    }
}
