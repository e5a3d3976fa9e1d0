using Hip.Kernels;
using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels.Tests.Hip;

/// <summary>The HiP kernels on the shared test accelerator, small options and random attention inputs.</summary>
internal static class HipTestData
{
    private static readonly Lazy<HipKernelSet> s_kernels = new(() => new HipKernelSet(TestGpu.Gpu.Accelerator, tensorCores: false));
    private static readonly Lazy<HipKernelSet> s_tensorCoreKernels = new(() => new HipKernelSet(TestGpu.Gpu.Accelerator, tensorCores: true));

    /// <summary>The SIMT kernels (on CUDA too: the tests compare them with the references exactly).</summary>
    public static HipKernelSet Kernels => s_kernels.Value;

    /// <summary>The set whose F16 masks are scored on tensor cores (the CPU accelerator emulates mma.sync).</summary>
    public static HipKernelSet TensorCoreKernels => s_tensorCoreKernels.Value;
    public static Accelerator Accelerator => TestGpu.Gpu.Accelerator;

    /// <summary>Tiny HiP settings: Kc = 8 key blocks of 2, sink 4, window 8, query blocks of 8 scored by every 2nd query.</summary>
    public static HipAttentionOptions Small => new()
    {
        K = 16, BlockSizeQ = 8, BlockStrideQ = 2, BlockSizeK = 2, BlockStrideK = 1,
        SinkTokens = 4, WindowTokens = 8, RefreshInterval = 4, DenseLayers = 0,
    };

    /// <summary>
    /// One layer's random inputs: q [tokens, heads·headDim], K/V [blocks, kvHeads, 64, headDim] (KvLayout). With F16 the
    /// K/V values are already half-rounded, so the float references see exactly what the F16 kernels read.
    /// </summary>
    public sealed record Layer(float[] Q, float[] K, float[] V, int Tokens, int Heads, int KvHeads, int HeadDim, int Capacity, int StartPos,
        KvPrecision Precision = KvPrecision.F32)
    {
        public float Scale => 1f / MathF.Sqrt(HeadDim);

        public static Layer Random(int tokens, int heads, int kvHeads, int headDim, int capacity, int startPos, int seed,
            KvPrecision precision = KvPrecision.F32)
        {
            int elements = (int)KvLayout.LayerElements(capacity, kvHeads, headDim);
            return new(TestData.Random(tokens * heads * headDim, 1f, seed),
                KvTestCache.AsStored(TestData.Random(elements, 1f, seed + 1), precision),
                KvTestCache.AsStored(TestData.Random(elements, 1f, seed + 2), precision),
                tokens, heads, kvHeads, headDim, capacity, startPos, precision);
        }

        /// <summary>Values in {−1, 0.5, 1} (no zeros, exact in half): many exactly equal scores, to exercise tie-breaking.</summary>
        public static Layer Quantized(int tokens, int heads, int kvHeads, int headDim, int capacity, int startPos, int seed,
            KvPrecision precision = KvPrecision.F32)
        {
            var random = new Random(seed);
            float[] Draw(int n) => Enumerable.Range(0, n).Select(_ => random.Next(3) switch { 0 => -1f, 1 => 0.5f, _ => 1f }).ToArray();
            int elements = (int)KvLayout.LayerElements(capacity, kvHeads, headDim);
            return new(Draw(tokens * heads * headDim), Draw(elements), Draw(elements), tokens, heads, kvHeads, headDim, capacity, startPos, precision);
        }

        /// <summary>K and V on the device in this layer's precision.</summary>
        public KvTestCache Upload() => new(Accelerator, Precision, K, V, Capacity);
    }

    /// <summary>The mask from the kernel: indices [heads, queryBlocks, chunks], counts [heads, queryBlocks].</summary>
    public static (int[] Indices, int[] Counts) GpuMask(Layer x, HipAttentionOptions options, HipKernelSet? kernels = null)
    {
        int rows = x.Heads * HipKernelSet.QueryBlocks(x.Tokens, options);
        using var q = Accelerator.Allocate1D(x.Q);
        using var kv = x.Upload();
        using var indices = Accelerator.Allocate1D(Enumerable.Repeat(-7, rows * options.Chunks).ToArray());
        using var counts = Accelerator.Allocate1D(Enumerable.Repeat(-7, rows).ToArray());
        (kernels ?? Kernels).EstimateMask(q.View, kv.Layer, indices.View, counts.View, x.Tokens, x.Heads, x.KvHeads, x.HeadDim, x.StartPos, options);
        TestGpu.ThrowIfFaulted();
        return (indices.GetAsArray1D(), counts.GetAsArray1D());
    }

    /// <summary>
    /// The mask from the C# reference, same layout as <see cref="GpuMask"/>; tensorCores: the tensor-core kernel's
    /// reference (<see cref="MaskEstimationTc.Reference"/>, queries rounded to fp16).
    /// </summary>
    public static (int[] Indices, int[] Counts) ReferenceMask(Layer x, HipAttentionOptions options, bool tensorCores = false)
    {
        int rows = x.Heads * HipKernelSet.QueryBlocks(x.Tokens, options);
        var indices = Enumerable.Repeat(-7, rows * options.Chunks).ToArray();
        var counts = new int[rows];
        if (tensorCores)
            MaskEstimationTc.Reference(x.Q, x.K, indices, counts, x.Tokens, x.Heads, x.KvHeads, x.HeadDim, x.StartPos, options);
        else
            MaskEstimation.Reference(x.Q, x.K, indices, counts, x.Tokens, x.Heads, x.KvHeads, x.HeadDim, x.StartPos, options);
        return (indices, counts);
    }

    /// <summary>Block-sparse attention on the device with the given mask and split count.</summary>
    public static float[] GpuAttention(Layer x, int[] maskIndices, int[] maskCounts, HipAttentionOptions options, int splits)
    {
        using var q = Accelerator.Allocate1D(x.Q);
        using var kv = x.Upload();
        using var o = Accelerator.Allocate1D<float>(x.Q.Length);
        using var indices = Accelerator.Allocate1D(maskIndices);
        using var counts = Accelerator.Allocate1D(maskCounts);
        using var partials = Accelerator.Allocate1D<float>(Math.Max(1, HipKernelSet.PartialsLength(x.Tokens, x.Heads, x.HeadDim, splits)));
        o.MemSetToZero();
        Kernels.BlockSparseAttention(q.View, kv.Layer, o.View, indices.View, counts.View, partials.View,
            x.Tokens, x.Heads, x.KvHeads, x.HeadDim, x.StartPos, x.Scale, options, splits);
        TestGpu.ThrowIfFaulted();
        return o.GetAsArray1D();
    }

    public static float[] ReferenceAttention(Layer x, int[] maskIndices, int[] maskCounts, HipAttentionOptions options)
    {
        var o = new float[x.Q.Length];
        BlockSparseAttention.Reference(x.Q, x.K, x.V, o, maskIndices, maskCounts, x.Tokens, x.Heads, x.KvHeads, x.HeadDim,
            x.StartPos, x.Scale, options);
        return o;
    }

    public static float[] DenseReference(Layer x)
    {
        var o = new float[x.Q.Length];
        DenseAttention.Reference(x.Q, x.K, x.V, o, x.Tokens, x.Heads, x.KvHeads, x.HeadDim, x.StartPos, x.Scale);
        return o;
    }
}
