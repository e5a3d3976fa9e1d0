using System.Diagnostics;
using System.Text.Json;
using Hip.Kernels;

namespace Hip.Bench;

/// <summary>
/// "quality": builds one attention layer from a dataset (synthetic, or captured from a model file), runs HiP's C# reference path on the last query blocks and
/// compares it with exact attention; prints one JSON object (medians and extremes over heads × sampled query blocks).
/// </summary>
internal static class QualityCommand
{
    public static int Run(CommandLine c)
    {
        var options = c.HipOptions();
        string name = c.Choice("--dataset", "needles", "needles", "random-walk", "model");
        int? context = c.IntOrNull("--context"), heads = c.IntOrNull("--heads"), kvHeads = c.IntOrNull("--kv-heads"), headDim = c.IntOrNull("--head-dim");
        int seed = c.Int("--seed", 1);
        int queryBlocks = c.Int("--query-blocks", 4);
        int threads = c.Int("--threads", Environment.ProcessorCount);
        bool withTimings = c.Flag("--timings");
        IAttentionDataset dataset;
        AttentionShape shape;
        if (name == "model")
        {
            string? model = c.Text("--model"), text = c.Text("--text");
            int? layer = c.IntOrNull("--layer");
            c.ThrowIfUnknown();
            var captured = new ModelDataset(model, text, layer, context);
            shape = captured.Shape;
            foreach (var (option, given, actual) in new[] { ("--heads", heads, shape.Heads), ("--kv-heads", kvHeads, shape.KvHeads), ("--head-dim", headDim, shape.HeadDim) })
                if (given is int value && value != actual)
                    throw new UsageException($"{option} {value}: the model has {actual}; the model dataset takes its shape from the model file.");
            dataset = captured;
        }
        else
        {
            shape = new AttentionShape(context ?? 16384, heads ?? 32, kvHeads ?? 8, headDim ?? 128);
            dataset = name == "needles"
                ? new NeedlesDataset(c.Int("--needles", 16), c.Double("--needle-width", 32), c.Double("--needle-strength", 8),
                    c.Double("--query-strength", 1), options.SinkTokens, options.WindowTokens)
                : new RandomWalkDataset(c.Double("--walk-correlation", 0.98), c.Double("--query-strength", 2));
            c.ThrowIfUnknown();
        }
        if (shape.Context <= 0 || shape.Heads <= 0 || shape.KvHeads <= 0 || shape.Heads % shape.KvHeads != 0 || shape.HeadDim <= 0 || queryBlocks <= 0)
            throw new UsageException("--context, --heads, --kv-heads, --head-dim and --query-blocks must be positive, heads a multiple of kv-heads.");

        var watch = Stopwatch.StartNew();
        int queries = Math.Min(shape.Context, queryBlocks * options.BlockSizeQ);
        var data = dataset.Create(shape, queries, seed);
        double generateSeconds = watch.Elapsed.TotalSeconds;
        var timings = new QualityEvaluation.Timings();
        var results = QualityEvaluation.Evaluate(data, shape, options, threads, timings);

        var report = new Dictionary<string, object>
        {
            ["command"] = "quality",
            ["dataset"] = dataset.Name,
            ["context"] = shape.Context,
            ["heads"] = shape.Heads,
            ["kvHeads"] = shape.KvHeads,
            ["headDim"] = shape.HeadDim,
            ["seed"] = seed,
            ["queries"] = queries,
            ["evaluated"] = $"{shape.Heads} heads x {results.Count / shape.Heads} query blocks (the last ones)",
            ["options"] = options,
            ["blockRecall"] = Summary(results.Select(r => r.BlockRecall)),
            ["massRecall"] = Summary(results.Select(r => r.MassRecall)),
            ["relError"] = Summary(results.Select(r => r.RelError)),
            ["randomBlockRecall"] = Median(results.Select(r => r.RandomRecall)),
            ["middleBlocks"] = results.Max(r => r.MiddleBlocks),
            ["prunes"] = results.Max(r => r.MiddleBlocks) > options.Chunks,   // false: K covers every middle block, HiP is exact
        };
        // Timings differ from run to run: on stderr, and in the JSON only with --timings, so that one seed gives one JSON.
        var seconds = new
        {
            total = Round(watch.Elapsed.TotalSeconds), generate = Round(generateSeconds), threads,
            cpuMask = Round(timings.MaskSeconds), cpuExact = Round(timings.ExactSeconds), cpuHip = Round(timings.HipSeconds),
        };
        Console.Error.WriteLine($"[quality] seconds: {JsonSerializer.Serialize(seconds)}");
        if (withTimings)
            report["seconds"] = seconds;
        if (dataset is ModelDataset m)
            report["model"] = new
            {
                path = Path.GetFullPath(m.ModelPath), text = m.TextPath is null ? "built-in story" : Path.GetFullPath(m.TextPath),
                layer = m.Layer, layers = m.LayerCount, tokens = m.Tokens, trainedContext = m.TrainedContext,
            };
        if (dataset is NeedlesDataset needles)
            report["needles"] = new { count = needles.Count, width = needles.Width, strength = needles.Strength };
        Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static object Summary(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return new { median = Round(Median(sorted)), min = Round(sorted[0]), max = Round(sorted[^1]) };
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
    }

    private static double Round(double value) => Math.Round(value, 6);
}
