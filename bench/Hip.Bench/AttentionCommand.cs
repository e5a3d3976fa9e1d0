using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Hip.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Bench;

/// <summary>
/// "attention": times one attention call of one layer on a device (HiP or the dense kernel, prefill of the whole
/// context or one decode step at its end); K/V/Q are filled with random values on the device. Warm-up runs, then the
/// median of timed runs (each synchronized). HiP reports the mask and attention launches separately, and for decode
/// both the refreshing and the cached step. --kv f16|f32 picks the KV-cache precision (block layout either way).
/// --check compares sampled HiP rows with the C# reference (run on the cache's values widened to float).
/// </summary>
internal sealed class AttentionCommand : Command
{
    private readonly HipOptionSet _hip = new();
    private readonly Option<string> _method = BenchCommandLine.Choice("--method", "HiP or the dense kernel.", "hip", "dense");
    private readonly Option<string> _phase = BenchCommandLine.Choice("--phase", "Prefill of the whole context, or one decode step at its end.", "prefill", "decode");
    private readonly Option<int> _context = BenchCommandLine.Option("--context", 16384, "Context tokens T.");
    private readonly Option<int> _heads = BenchCommandLine.Option("--heads", 32, "Query heads.");
    private readonly Option<int> _kvHeads = BenchCommandLine.Option("--kv-heads", 8, "KV heads.");
    private readonly Option<int> _headDim = BenchCommandLine.Option("--head-dim", 128, "Head dimension (a multiple of 4, at most 128).");
    private readonly Option<string> _device = BenchCommandLine.Choice("--device", "The ILGPU accelerator.", "cuda", "cpu");
    private readonly Option<string> _kv = BenchCommandLine.Choice("--kv", "KV-cache precision (block layout either way).", "f16", "f32");
    private readonly Option<int> _warmup = BenchCommandLine.Option("--warmup", 2, "Untimed runs first.");
    private readonly Option<int> _runs = BenchCommandLine.Option("--runs", 10, "Timed runs (the median is reported).");
    private readonly Option<bool> _check = new("--check") { Description = "Compare sampled HiP rows with the C# reference." };

    public AttentionCommand() : base("attention",
        "Times one attention call of one layer on a device (HiP or dense; prefill, or one decode step); one JSON object on stdout.")
    {
        foreach (var option in new Option[] { _method, _phase, _context, _heads, _kvHeads, _headDim, _device, _kv, _warmup, _runs, _check })
            Options.Add(option);
        _hip.AddTo(this);
        SetAction(Run);
    }

    private int Run(ParseResult c)
    {
        var options = _hip.Get(c);
        string method = c.GetValue(_method)!;
        string phase = c.GetValue(_phase)!;
        int context = c.GetValue(_context), heads = c.GetValue(_heads), kvHeads = c.GetValue(_kvHeads), headDim = c.GetValue(_headDim);
        string device = c.GetValue(_device)!;
        var precision = c.GetValue(_kv) == "f16" ? KvPrecision.F16 : KvPrecision.F32;
        int warmup = c.GetValue(_warmup), runs = c.GetValue(_runs);
        bool check = c.GetValue(_check);
        if (kvHeads <= 0 || heads % kvHeads != 0 || headDim % 4 != 0 || headDim > BlockSparseAttention.MaxHeadDim || context <= 0 || runs <= 0)
            throw new UsageException("heads must be a multiple of kv-heads, head-dim a multiple of 4 up to 128, context and runs positive.");

        using var gpu = Gpu.Create(device == "cuda" ? DeviceKind.Cuda : DeviceKind.Cpu);
        var accelerator = gpu.Accelerator;
        var kernels = new KernelSet(accelerator);
        using var hip = new HipAttention(kernels, options, layerCount: 1, heads);
        var fill = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, uint>(FillKernel);
        var fillHalf = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, uint>(FillHalfKernel);

        int tokens = phase == "prefill" ? context : 1, startPos = context - tokens;
        float scale = 1f / MathF.Sqrt(headDim);
        long layerElements = KvLayout.LayerElements(context, kvHeads, headDim);   // [blocks, kvHeads, 64, headDim]
        bool f32 = precision == KvPrecision.F32;
        using var k = accelerator.Allocate1D<float>(f32 ? layerElements : 1);
        using var v = accelerator.Allocate1D<float>(k.Length);
        using var k16 = accelerator.Allocate1D<ushort>(f32 ? 1 : layerElements);
        using var v16 = accelerator.Allocate1D<ushort>(k16.Length);
        using var q = accelerator.Allocate1D<float>((long)tokens * heads * headDim);
        using var o = accelerator.Allocate1D<float>(q.Length);
        fill((int)k.Length, k.View, 1u);
        fill((int)v.Length, v.View, 2u);
        fillHalf((int)k16.Length, k16.View, 1u);
        fillHalf((int)v16.Length, v16.View, 2u);
        fill((int)q.Length, q.View, 3u);
        accelerator.Synchronize();
        var cache = f32 ? KvLayer.F32(k.View, v.View, context) : KvLayer.F16(k16.View, v16.View, context);

        var report = new Dictionary<string, object>
        {
            ["command"] = "attention", ["method"] = method, ["phase"] = phase, ["device"] = gpu.Description,
            ["context"] = context, ["tokens"] = tokens, ["heads"] = heads, ["kvHeads"] = kvHeads, ["headDim"] = headDim,
            ["warmup"] = warmup, ["runs"] = runs, ["kv"] = precision.ToString(),
        };
        var hk = hip.HipKernels;
        if (method == "dense")
        {
            report["ms"] = Time(accelerator, warmup, runs, () =>
                kernels.DenseAttention(q.View, cache, o.View, tokens, heads, kvHeads, headDim, startPos, scale));
        }
        else if (phase == "prefill")
        {
            report["options"] = options;
            report["ms"] = Time(accelerator, warmup, runs, () =>
                hip.Run(0, q.View, cache, o.View, tokens, heads, kvHeads, headDim, startPos, scale));
            // the two launches alone, on buffers of their own
            using var indices = accelerator.Allocate1D<int>(HipKernelSet.MaskLength(tokens, heads, options));
            using var counts = accelerator.Allocate1D<int>((long)heads * HipKernelSet.QueryBlocks(tokens, options));
            report["msMask"] = Time(accelerator, warmup, runs, () =>
                hk.EstimateMask(q.View, cache, indices.View, counts.View, tokens, heads, kvHeads, headDim, startPos, options));
            int splits = hk.ChooseSplits(tokens, heads, options);
            using var partials = accelerator.Allocate1D<float>(Math.Max(1, HipKernelSet.PartialsLength(tokens, heads, headDim, splits)));
            report["msAttention"] = Time(accelerator, warmup, runs, () =>
                hk.BlockSparseAttention(q.View, cache, o.View, indices.View, counts.View, partials.View, tokens, heads,
                    kvHeads, headDim, startPos, scale, options, splits));
            report["splits"] = splits;
            if (check)
                report["check"] = Check(accelerator, hk, q, cache, tokens, heads, kvHeads, headDim, startPos, scale, options);
        }
        else
        {
            report["options"] = options;
            var refreshing = options with { RefreshInterval = 1 };
            using var hipRefresh = new HipAttention(kernels, refreshing, layerCount: 1, heads);
            double msRefresh = Time(accelerator, warmup, runs, () =>
                hipRefresh.Run(0, q.View, cache, o.View, 1, heads, kvHeads, headDim, startPos, scale));
            var cached = options with { RefreshInterval = int.MaxValue };
            using var hipCached = new HipAttention(kernels, cached, layerCount: 1, heads);
            hipCached.Run(0, q.View, cache, o.View, 1, heads, kvHeads, headDim, startPos, scale);   // its one refresh
            double msCached = Time(accelerator, warmup, runs, () =>
                hipCached.Run(0, q.View, cache, o.View, 1, heads, kvHeads, headDim, startPos, scale));
            report["msRefresh"] = msRefresh;
            report["msCached"] = msCached;
            report["ms"] = Math.Round((msRefresh + (options.RefreshInterval - 1) * msCached) / options.RefreshInterval, 4);
            report["splits"] = hk.ChooseSplits(1, heads, options);
            if (check)
                report["check"] = Check(accelerator, hk, q, cache, 1, heads, kvHeads, headDim, startPos, scale, options);
        }
        Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    // median milliseconds of synchronized runs after warm-up ones
    private static double Time(Accelerator accelerator, int warmup, int runs, Action call) =>
        BenchTiming.MedianMs(warmup, runs, call, accelerator.Synchronize);

    // the device mask and output of a few (head, query block) rows against the C# reference
    private static object Check(Accelerator accelerator, HipKernelSet hk, MemoryBuffer1D<float, Stride1D.Dense> q,
        KvLayer cache, int tokens, int heads, int kvHeads, int headDim, int startPos, float scale, HipAttentionOptions options)
    {
        int queryBlocks = HipKernelSet.QueryBlocks(tokens, options), splits = hk.ChooseSplits(tokens, heads, options);
        using var indices = accelerator.Allocate1D<int>(HipKernelSet.MaskLength(tokens, heads, options));
        using var counts = accelerator.Allocate1D<int>((long)heads * queryBlocks);
        using var o = accelerator.Allocate1D<float>(q.Length);
        using var partials = accelerator.Allocate1D<float>(Math.Max(1, HipKernelSet.PartialsLength(tokens, heads, headDim, splits)));
        hk.EstimateMask(q.View, cache, indices.View, counts.View, tokens, heads, kvHeads, headDim, startPos, options);
        hk.BlockSparseAttention(q.View, cache, o.View, indices.View, counts.View, partials.View, tokens, heads, kvHeads,
            headDim, startPos, scale, options, splits);
        accelerator.Synchronize();
        float[] hq = q.GetAsArray1D(), hkCache = ToHost(cache, keys: true), hv = ToHost(cache, keys: false), ho = o.GetAsArray1D();
        int[] hIndices = indices.GetAsArray1D(), hCounts = counts.GetAsArray1D();

        var args = MaskEstimation.Args.Create(tokens, heads, kvHeads, headDim, startPos, options);
        int rowsChecked = 0, masksEqual = 0;
        double worst = 0;
        var blocks = new[] { 0, queryBlocks / 2, queryBlocks - 1 }.Distinct();
        var expected = new int[options.Chunks];
        var row = new float[headDim];
        foreach (int m in blocks)
            foreach (int h in new[] { 0, heads - 1 }.Distinct())
            {
                int maskRow = h * queryBlocks + m;
                int count = MaskEstimation.ReferenceBlock(hq, hkCache, expected, args, h, m);
                rowsChecked++;
                if (count == hCounts[maskRow] && expected.AsSpan(0, count).SequenceEqual(hIndices.AsSpan(maskRow * options.Chunks, count)))
                    masksEqual++;
                int t = Math.Min(tokens - 1, m * options.BlockSizeQ + options.BlockSizeQ - 1);   // the block's last query
                var keySet = BlockSparseAttention.KeySet(hIndices.AsSpan(maskRow * options.Chunks, hCounts[maskRow]), startPos + t + 1, options);
                int at = (t * heads + h) * headDim;
                BlockSparseAttention.ReferenceRow(hq.AsSpan(at, headDim), hkCache, hv, row, keySet, h / (heads / kvHeads), kvHeads, headDim, scale);
                double num = 0, den = 0;
                for (int x = 0; x < headDim; x++)
                {
                    num += (ho[at + x] - row[x]) * (double)(ho[at + x] - row[x]);
                    den += (double)row[x] * row[x];
                }
                worst = Math.Max(worst, Math.Sqrt(num / Math.Max(den, 1e-300)));
            }
        return new { masksEqual = $"{masksEqual}/{rowsChecked}", maxRelError = worst };
    }

    // the layer's keys or values on the host as float (half bits widened)
    private static float[] ToHost(KvLayer cache, bool keys)
    {
        if (cache.Precision == KvPrecision.F32)
            return ((ArrayView1D<float, Stride1D.Dense>)(keys ? cache.KeysF32 : cache.ValuesF32)).GetAsArray1D();
        var bits = ((ArrayView1D<ushort, Stride1D.Dense>)(keys ? cache.KeysF16 : cache.ValuesF16)).GetAsArray1D();
        return Array.ConvertAll(bits, KvF16Element.FromBits);
    }

    // FillKernel's values rounded to float16 bits
    private static void FillHalfKernel(Index1D i, ArrayView<ushort> x, uint seed)
    {
        uint h = (uint)i.X * 747796405u + seed * 2891336453u;
        h = ((h >> (int)((h >> 28) + 4u)) ^ h) * 277803737u;
        h = (h >> 22) ^ h;
        x[i] = Interop.FloatAsInt((ILGPU.Half)((h >> 8) * (2f / 16777216f) - 1f));
    }

    // uniform values in [−1, 1) from a hash of (index, seed)
    private static void FillKernel(Index1D i, ArrayView<float> x, uint seed)
    {
        uint h = (uint)i.X * 747796405u + seed * 2891336453u;
        h = ((h >> (int)((h >> 28) + 4u)) ^ h) * 277803737u;
        h = (h >> 22) ^ h;
        x[i] = (h >> 8) * (2f / 16777216f) - 1f;
    }
}
