using System.Diagnostics;
using System.Text.Json;
using Hip.Kernels;

namespace Hip.Bench;

/// <summary>
/// "quality": builds one attention layer from a dataset, runs HiP's C# reference path on the last query blocks and
/// compares it with exact attention; prints one JSON object (medians and extremes over heads × sampled query blocks).
/// </summary>
internal static class QualityCommand
{
    public static int Run(CommandLine c)
    {
        var options = c.HipOptions();
        string name = c.Choice("--dataset", "needles", "needles", "random-walk");
        var shape = new AttentionShape(c.Int("--context", 16384), c.Int("--heads", 32), c.Int("--kv-heads", 8), c.Int("--head-dim", 128));
        int seed = c.Int("--seed", 1);
        int queryBlocks = c.Int("--query-blocks", 4);
        int threads = c.Int("--threads", Environment.ProcessorCount);
        IAttentionDataset dataset = name == "needles"
            ? new NeedlesDataset(c.Int("--needles", 16), c.Double("--needle-width", 32), c.Double("--needle-strength", 8),
                c.Double("--query-strength", 1), options.SinkTokens, options.WindowTokens)
            : new RandomWalkDataset(c.Double("--walk-correlation", 0.98), c.Double("--query-strength", 2));
        c.ThrowIfUnknown();
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
            ["seconds"] = new
            {
                total = Round(watch.Elapsed.TotalSeconds), generate = Round(generateSeconds), threads,
                cpuMask = Round(timings.MaskSeconds), cpuExact = Round(timings.ExactSeconds), cpuHip = Round(timings.HipSeconds),
            },
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
