using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Hip.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Bench;

/// <summary>
/// "flash": times the tensor-core prefill attention of one layer (TensorCore/FlashAttention.cs) on random F16 K/V in the
/// block layout: dense causal (<see cref="KernelSet.FlashAttentionPrefill"/>) and HiP block-sparse
/// (<see cref="KernelSet.HipAttentionPrefill"/>) on a synthetic mask of K / BlockSizeK key blocks per query block spread
/// over the visible keys; with --mask also the mask estimation at the same context (SIMT and tensor cores, with overlap). Warm-up runs,
/// then the median of timed runs (each synchronized). --check first compares small cases with the C# references on the
/// device. One JSON object per line.
/// </summary>
internal sealed class FlashCommand : Command
{
    private readonly HipOptionSet _hip = new();
    private readonly Option<string> _contexts = BenchCommandLine.Parsed("--contexts", "8192,32768,131072", "Context lengths, comma-separated.", ParseContexts);
    private readonly Option<int> _heads = BenchCommandLine.Option("--heads", 32, "Query heads.");
    private readonly Option<int> _kvHeads = BenchCommandLine.Option("--kv-heads", 8, "KV heads.");
    private readonly Option<int> _headDim = BenchCommandLine.Option("--head-dim", 128, "Head dimension.");
    private readonly Option<string> _device = BenchCommandLine.Choice("--device", "The ILGPU accelerator.", "cuda", "cpu");
    private readonly Option<int> _warmup = BenchCommandLine.Option("--warmup", 1, "Untimed runs first.");
    private readonly Option<int> _runs = BenchCommandLine.Option("--runs", 5, "Timed runs (the median is reported).");
    private readonly Option<bool> _check = new("--check") { Description = "First compare small cases with the C# references on the device." };
    private readonly Option<bool> _mask = new("--mask") { Description = "Also time the mask estimation, SIMT and on tensor cores, and report their overlap." };
    private readonly Option<bool> _noDense = new("--no-dense") { Description = "Skip the dense causal attention." };

    public FlashCommand() : base("flash",
        "Times the tensor-core prefill attention of one layer on random F16 K/V: dense causal and HiP block-sparse on a " +
        "synthetic mask (HiP options; --dense-layers is ignored); one JSON object per line on stdout.")
    {
        foreach (var option in new Option[] { _contexts, _heads, _kvHeads, _headDim, _device, _warmup, _runs, _check, _mask, _noDense })
            Options.Add(option);
        _hip.AddTo(this);
        SetAction(Run);
    }

    private int Run(ParseResult c)
    {
        var options = _hip.Get(c) with { DenseLayers = 0 };
        var contexts = ParseContexts(c.GetValue(_contexts)!);
        int heads = c.GetValue(_heads), kvHeads = c.GetValue(_kvHeads), headDim = c.GetValue(_headDim);
        string device = c.GetValue(_device)!;
        int warmup = c.GetValue(_warmup), runs = c.GetValue(_runs);
        bool check = c.GetValue(_check), mask = c.GetValue(_mask), skipDense = c.GetValue(_noDense);
        if (kvHeads <= 0 || heads <= 0 || heads % kvHeads != 0 || headDim <= 0 || runs <= 0 || warmup < 0)
            throw new UsageException("--heads a positive multiple of --kv-heads, --head-dim and --runs positive, --warmup not negative.");
        using var gpu = Gpu.Create(device == "cuda" ? DeviceKind.Cuda : DeviceKind.Cpu);
        var accelerator = gpu.Accelerator;
        var kernels = new KernelSet(accelerator);
        kernels.PrepareFlashAttention();
        if (check)
        {
            Print(Check(kernels, 128, 200, 4, 2, 100, null));
            Print(Check(kernels, 64, 150, 4, 1, 30, null));
            var small = new HipAttentionOptions { K = 64, BlockSizeQ = 64, SinkTokens = 16, WindowTokens = 64 }.Validate();
            Print(Check(kernels, 128, 192, 4, 2, 300, small));
            Print(Check(kernels, 64, 100, 2, 1, 200, small with { BlockSizeQ = 32 }));
        }

        var fill = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, uint>(FillKernel);
        var fillHalf = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, uint>(FillHalfKernel);
        var fillMask = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, int, int, int, int, int, int>(SyntheticMaskKernel);
        float scale = 1f / MathF.Sqrt(headDim);
        foreach (int context in contexts)
        {
            var report = new Dictionary<string, object>
            {
                ["command"] = "flash", ["device"] = gpu.Description, ["context"] = context, ["heads"] = heads,
                ["kvHeads"] = kvHeads, ["headDim"] = headDim, ["warmup"] = warmup, ["runs"] = runs,
                ["queryTile"] = kernels.FlashQueryTile(heads, kvHeads),
                ["denseKernel"] = kernels.FlashDenseKernel().ToString(),
            };
            long cache = KvLayout.LayerElements(context, kvHeads, headDim);
            using var q = accelerator.Allocate1D<float>((long)context * heads * headDim);
            using var o = accelerator.Allocate1D<float>(q.Length);
            using var k = accelerator.Allocate1D<ushort>(cache);
            using var v = accelerator.Allocate1D<ushort>(cache);
            fill((int)q.Length, q.View, 3u);
            fillHalf((int)k.Length, k.View, 1u);
            fillHalf((int)v.Length, v.View, 2u);
            accelerator.Synchronize();
            if (!skipDense)
                report["msDense"] = Time(kernels, warmup, runs, () =>
                    kernels.FlashAttentionPrefill(q.View, k.View, v.View, o.View, context, heads, kvHeads, headDim, 0, scale));

            int queryBlocks = HipKernelSet.QueryBlocks(context, options);
            using var indices = accelerator.Allocate1D<int>(HipKernelSet.MaskLength(context, heads, options));
            using var counts = accelerator.Allocate1D<int>((long)heads * queryBlocks);
            fillMask(heads * queryBlocks * options.Chunks, indices.View, counts.View, queryBlocks, options.Chunks,
                options.BlockSizeQ, options.BlockSizeK, options.SinkTokens, options.WindowTokens);
            accelerator.Synchronize();
            report["options"] = options;
            report["msHipAttention"] = Time(kernels, warmup, runs, () =>
                kernels.HipAttentionPrefill(q.View, k.View, v.View, o.View, indices.View, counts.View, context, heads, kvHeads,
                    headDim, 0, scale, options));
            if (mask)
            {
                // the same mask by the SIMT kernel and on tensor cores; overlap: the share of the SIMT mask's blocks the
                // tensor-core mask keeps (they may differ where scores tie within fp16/float32 rounding)
                var cacheLayer = KvLayer.F16(k.View, v.View, context);
                report["msMaskSimt"] = TimeMask(new HipKernelSet(accelerator, kernels.Stream, tensorCores: false), kernels, q, cacheLayer,
                    indices, counts, context, heads, kvHeads, headDim, options, warmup, runs);
                var (simtIndices, simtCounts) = (indices.GetAsArray1D(), counts.GetAsArray1D());
                report["msMaskTensorCores"] = TimeMask(new HipKernelSet(accelerator, kernels.Stream, tensorCores: true), kernels, q, cacheLayer,
                    indices, counts, context, heads, kvHeads, headDim, options, warmup, runs);
                var (shared, kept) = MaskEstimation.Overlap(simtIndices, simtCounts, indices.GetAsArray1D(), counts.GetAsArray1D(), options.Chunks);
                report["maskOverlap"] = Math.Round(kept == 0 ? 1 : (double)shared / kept, 5);
            }
            Print(report);
        }
        return 0;
    }

    // the mask estimation over the same F16 block-layout cache, for the HiP total
    private static double TimeMask(HipKernelSet hip, KernelSet kernels, MemoryBuffer1D<float, Stride1D.Dense> q, KvLayer cache,
        MemoryBuffer1D<int, Stride1D.Dense> indices, MemoryBuffer1D<int, Stride1D.Dense> counts,
        int context, int heads, int kvHeads, int headDim, HipAttentionOptions options, int warmup, int runs)
    {
        using (hip)
            return Time(kernels, warmup, runs, () =>
                hip.EstimateMask(q.View, cache, indices.View, counts.View, context, heads, kvHeads, headDim, 0, options));
    }

    private static int[] ParseContexts(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part =>
            int.TryParse(part, out int context) && context > 0 ? context : throw new UsageException($"--contexts '{part}' is not a positive token count."))];

    private static double Time(KernelSet kernels, int warmup, int runs, Action call) =>
        BenchTiming.MedianMs(warmup, runs, call, kernels.Synchronize);

    // one small case on the device against the C# reference (dense when options is null): the largest |difference|
    private static Dictionary<string, object> Check(KernelSet kernels, int headDim, int tokens, int heads, int kvHeads,
        int startPos, HipAttentionOptions? options)
    {
        var accelerator = kernels.Accelerator;
        var random = new Random(tokens + headDim);
        int positions = startPos + tokens;
        var q = Enumerable.Range(0, tokens * heads * headDim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var kBits = Enumerable.Range(0, (int)KvLayout.LayerElements(positions, kvHeads, headDim))
            .Select(_ => WeightBits.FromFloat((float)(random.NextDouble() * 2 - 1), WeightFormat.F16)).ToArray();
        var vBits = kBits.Select(_ => WeightBits.FromFloat((float)(random.NextDouble() * 2 - 1), WeightFormat.F16)).ToArray();
        var expected = new float[q.Length];
        float scale = 1f / MathF.Sqrt(headDim);
        using var qb = accelerator.Allocate1D(q);
        using var kb = accelerator.Allocate1D(kBits);
        using var vb = accelerator.Allocate1D(vBits);
        using var ob = accelerator.Allocate1D<float>(q.Length);
        if (options is null)
        {
            FlashAttention.Reference(q, kBits, vBits, expected, tokens, heads, kvHeads, headDim, startPos, scale);
            kernels.FlashAttentionPrefill(qb.View, kb.View, vb.View, ob.View, tokens, heads, kvHeads, headDim, startPos, scale);
        }
        else
        {
            int queryBlocks = HipKernelSet.QueryBlocks(tokens, options);
            var indices = new int[heads * queryBlocks * options.Chunks];
            var counts = new int[heads * queryBlocks];
            for (int row = 0; row < counts.Length; row++)
            {
                int m = row % queryBlocks, visible = startPos + m * options.BlockSizeQ + 1;
                var chosen = Enumerable.Range(0, visible / options.BlockSizeK).Select(b => b * options.BlockSizeK)
                    .Where(b => b >= options.SinkTokens).OrderBy(_ => random.Next()).Take(options.Chunks).Order().ToArray();
                counts[row] = chosen.Length;
                chosen.CopyTo(indices, row * options.Chunks);
            }
            FlashAttention.HipReference(q, kBits, vBits, expected, indices, counts, tokens, heads, kvHeads, headDim, startPos, scale, options);
            using var ib = accelerator.Allocate1D(indices);
            using var cb = accelerator.Allocate1D(counts);
            kernels.HipAttentionPrefill(qb.View, kb.View, vb.View, ob.View, ib.View, cb.View, tokens, heads, kvHeads, headDim, startPos, scale, options);
            kernels.Synchronize();
        }
        kernels.Synchronize();
        var actual = ob.GetAsArray1D();
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
            worst = Math.Max(worst, double.IsFinite(actual[i]) ? Math.Abs(actual[i] - expected[i]) : double.PositiveInfinity);
        const double tolerance = 4e-3;
        return new Dictionary<string, object>
        {
            ["command"] = "flash-check", ["mode"] = options is null ? "dense" : "hip", ["headDim"] = headDim, ["tokens"] = tokens,
            ["heads"] = heads, ["kvHeads"] = kvHeads, ["startPos"] = startPos, ["maxAbsError"] = worst,
            ["tolerance"] = tolerance, ["pass"] = worst <= tolerance,
        };
    }

    private static void Print(object report) => Console.WriteLine(JsonSerializer.Serialize(report));

    private static uint Hash(uint i, uint seed)
    {
        uint h = i * 747796405u + seed * 2891336453u;
        h = ((h >> (int)((h >> 28) + 4u)) ^ h) * 277803737u;
        return (h >> 22) ^ h;
    }

    private static void FillKernel(Index1D i, ArrayView<float> x, uint seed) => x[i] = (Hash((uint)i.X, seed) >> 8) * (2f / 16777216f) - 1f;

    private static void FillHalfKernel(Index1D i, ArrayView<ushort> x, uint seed) =>
        x[i] = (ushort)Interop.FloatAsInt((ILGPU.Half)((Hash((uint)i.X, seed) >> 8) * (2f / 16777216f) - 1f));

    // entry j of row (head, query block m): key blocks spread evenly over [sink, window start of the block's first
    // query), sorted and distinct; count = min(chunks, blocks there)
    private static void SyntheticMaskKernel(Index1D i, ArrayView<int> indices, ArrayView<int> counts, int queryBlocks,
        int chunks, int blockSizeQ, int blockSizeK, int sink, int window)
    {
        int row = i / chunks, j = i % chunks, m = row % queryBlocks;
        int windowStart = IntrinsicMath.Max(0, m * blockSizeQ + 1 - window);
        int blocks = IntrinsicMath.Max(0, (windowStart - sink) / blockSizeK), count = IntrinsicMath.Min(chunks, blocks);
        if (j == 0)
            counts[row] = count;
        indices[i] = j < count ? sink + (int)((long)j * blocks / count) * blockSizeK : -1;
    }
}
