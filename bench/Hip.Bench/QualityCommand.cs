using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Hip.Kernels;

namespace Hip.Bench;

/// <summary>
/// "quality": builds one attention layer from a dataset (synthetic, or captured from a model file), runs HiP's C# reference path on the last query blocks and
/// compares it with exact attention; prints one JSON object (medians and extremes over heads × sampled query blocks).
/// </summary>
internal sealed class QualityCommand : Command
{
    private readonly HipOptionSet _hip = new();
    private readonly Option<string> _dataset = BenchCommandLine.Choice("--dataset", "Synthetic needles, a random walk, or one layer of a model file.", "needles", "random-walk", "model");
    private readonly Option<int?> _context = new("--context") { Description = "Context tokens T (synthetic default 16384; model: its trained context, at most)." };
    private readonly Option<int?> _heads = new("--heads") { Description = "Query heads (synthetic default 32; model: its own)." };
    private readonly Option<int?> _kvHeads = new("--kv-heads") { Description = "KV heads (synthetic default 8; model: its own)." };
    private readonly Option<int?> _headDim = new("--head-dim") { Description = "Head dimension (synthetic default 128; model: its own)." };
    private readonly Option<int> _seed = BenchCommandLine.Option("--seed", 1, "Random seed: one seed gives the same JSON on every run.");
    private readonly Option<int> _queryBlocks = BenchCommandLine.Option("--query-blocks", 4, "Query blocks evaluated (the last ones).");
    private readonly Option<int> _threads = BenchCommandLine.Option("--threads", Environment.ProcessorCount, "CPU threads.");
    private readonly Option<bool> _timings = new("--timings") { Description = "Add the (varying) seconds to the JSON." };
    private readonly Option<bool> _halfMaskQueries = new("--half-mask-queries") { Description = "Score the mask with fp16-rounded queries, as the tensor-core mask kernel on CUDA does." };
    private readonly Option<string?> _model = new("--model") { Description = "--dataset model: the model file (default: models/stories260K/stories260K.gguf)." };
    private readonly Option<string?> _text = new("--text") { Description = "--dataset model: a text file to prefill (default: a built-in story, repeated to fill the context)." };
    private readonly Option<int?> _layer = new("--layer") { Description = "--dataset model: the layer evaluated (default: the middle one)." };
    private readonly Option<int> _needles = BenchCommandLine.Option("--needles", 16, "--dataset needles: needles per head.");
    private readonly Option<double> _needleWidth = BenchCommandLine.Option("--needle-width", 32.0, "--dataset needles: needle width in tokens.");
    private readonly Option<double> _needleStrength = BenchCommandLine.Option("--needle-strength", 8.0, "--dataset needles: needle strength.");
    private readonly Option<double> _walkCorrelation = BenchCommandLine.Option("--walk-correlation", 0.98, "--dataset random-walk: step correlation.");
    private readonly Option<double?> _queryStrength = new("--query-strength") { Description = "Synthetic datasets: query strength (default 1 for needles, 2 for random-walk)." };

    public QualityCommand() : base("quality",
        "HiP's C# reference path against exact attention on one layer (CPU); one JSON object on stdout. --dataset model runs a " +
        "model file over a text in one prefill pass on the CPU and evaluates layer L with the model's heads, KV heads and head " +
        "dim; --context may not exceed the model's trained context (512 for stories260K). At T=512 the default HiP options keep " +
        "every middle block (JSON \"prunes\": false); --k 32 --window 64 --sink 16 --block-size-q 32 make HiP prune.")
    {
        Options.Add(_dataset);
        foreach (var option in new Option[] { _context, _heads, _kvHeads, _headDim, _seed, _queryBlocks, _threads, _timings, _halfMaskQueries, _model, _text, _layer,
                     _needles, _needleWidth, _needleStrength, _walkCorrelation, _queryStrength })
            Options.Add(option);
        _hip.AddTo(this);
        SetAction(Run);
    }

    private int Run(ParseResult c)
    {
        var options = _hip.Get(c);
        string name = c.GetValue(_dataset)!;
        int? context = c.GetValue(_context), heads = c.GetValue(_heads), kvHeads = c.GetValue(_kvHeads), headDim = c.GetValue(_headDim);
        int seed = c.GetValue(_seed);
        int queryBlocks = c.GetValue(_queryBlocks);
        int threads = c.GetValue(_threads);
        bool withTimings = c.GetValue(_timings);
        c.OnlyWhen(name == "model", "to --dataset model", _model, _text, _layer);
        c.OnlyWhen(name == "needles", "to --dataset needles", _needles, _needleWidth, _needleStrength);
        c.OnlyWhen(name == "random-walk", "to --dataset random-walk", _walkCorrelation);
        c.OnlyWhen(name != "model", "to the synthetic datasets", _queryStrength);
        IAttentionDataset dataset;
        AttentionShape shape;
        if (name == "model")
        {
            var captured = new ModelDataset(c.GetValue(_model), c.GetValue(_text), c.GetValue(_layer), context);
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
                ? new NeedlesDataset(c.GetValue(_needles), c.GetValue(_needleWidth), c.GetValue(_needleStrength),
                    c.GetValue(_queryStrength) ?? 1, options.SinkTokens, options.WindowTokens)
                : new RandomWalkDataset(c.GetValue(_walkCorrelation), c.GetValue(_queryStrength) ?? 2);
        }
        if (shape.Context <= 0 || shape.Heads <= 0 || shape.KvHeads <= 0 || shape.Heads % shape.KvHeads != 0 || shape.HeadDim <= 0 || queryBlocks <= 0)
            throw new UsageException("--context, --heads, --kv-heads, --head-dim and --query-blocks must be positive, heads a multiple of kv-heads.");

        var watch = Stopwatch.StartNew();
        int queries = Math.Min(shape.Context, queryBlocks * options.BlockSizeQ);
        var data = dataset.Create(shape, queries, seed);
        double generateSeconds = watch.Elapsed.TotalSeconds;
        var timings = new QualityEvaluation.Timings();
        bool halfMaskQueries = c.GetValue(_halfMaskQueries);
        var results = QualityEvaluation.Evaluate(data, shape, options, threads, timings, halfMaskQueries);

        var report = new Dictionary<string, object>
        {
            ["command"] = "quality",
            ["dataset"] = dataset.Name,
            ["context"] = shape.Context,
            ["heads"] = shape.Heads,
            ["kvHeads"] = shape.KvHeads,
            ["headDim"] = shape.HeadDim,
            ["seed"] = seed,
            ["maskQueries"] = halfMaskQueries ? "fp16 (as the tensor-core mask)" : "float",
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
