using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hip.Inference;
using Hip.Kernels;

namespace Hip.Bench;

/// <summary>
/// "generate": end-to-end prefill and decode speed of a model file (or a synthetic random-weight one) through the
/// public engine API only (<see cref="InferenceEngine.Load"/>, <see cref="InferenceEngine.GenerateAsync(IReadOnlyList{int}, SamplingParams, GenerationStatus?, CancellationToken)"/>,
/// <see cref="GenerationStatus"/>). One engine holds a KV cache for the largest context; each context T gets a fresh
/// random prompt of T tokens (prefill tokens/s over T), then greedy decode at depth T, each step timed on the host to
/// the sampled id (median of --decode-steps steps). When a prefill runs past --prefill-limit seconds it is cancelled,
/// and decode is measured at the depth it reached, by reusing the cached prefix (the JSON says so under "depthNote").
/// </summary>
internal sealed class GenerateCommand : Command
{
    private readonly HipOptionSet _hip = new();
    private readonly Option<string?> _model = new("--model") { Description = "The model file (GGUF or llama2.c); or --synthetic." };
    private readonly Option<string?> _synthetic = new Option<string?>("--synthetic")
    {
        Description = "A random-weight GGUF of this shape, written once into --cache and reused; or --model.",
    }.AcceptOnlyFromAmong([.. SyntheticShape.All.Select(s => s.Name)]);
    private readonly Option<string> _type = BenchCommandLine.Choice("--type", "--synthetic: the weight type.", [.. SyntheticWeightType.All.Select(t => t.Name)]);
    private readonly Option<string> _cache = BenchCommandLine.Option("--cache", SyntheticModel.DefaultCache, "--synthetic: the folder of the synthetic files.");
    private readonly Option<string> _context = BenchCommandLine.Parsed("--context", "512", "Context lengths T, comma-separated (512,32768 or 512,32K,128K).", ParseContexts);
    private readonly Option<string> _attention = BenchCommandLine.Choice("--attention", "Dense or HiP attention.", "dense", "hip");
    private readonly Option<string> _kv = BenchCommandLine.Choice("--kv", "KV-cache precision.", "f16", "f32");
    private readonly Option<int> _decodeSteps = BenchCommandLine.Option("--decode-steps", 64, "Decode steps per context (at least 32; the median is reported).");
    private readonly Option<double> _prefillLimit = BenchCommandLine.Option("--prefill-limit", 300.0, "Seconds a prefill may run before it is cancelled and decode measured at the depth reached.");
    private readonly Option<string> _device = BenchCommandLine.Choice("--device", "The device (auto: CUDA when present).", "auto", "cuda", "cpu");
    private readonly Option<int> _seed = BenchCommandLine.Option("--seed", 1, "Seed of the random prompts.");
    private readonly Option<int?> _prefillChunk = new("--prefill-chunk") { Description = "Most prompt tokens per forward pass (default: the engine's for the device)." };
    private readonly Option<string?> _out = new("--out") { Description = "Also write the JSON to this file." };
    private readonly Option<bool> _prepareOnly = new("--prepare-only") { Description = "--synthetic: only write the file, no run." };

    public GenerateCommand() : base("generate",
        "End-to-end prefill and decode speed through the engine API: per context T, prefill tokens/s over a random T-token " +
        "prompt, then decode tokens/s at depth T (median of the steps, each timed to the sampled id on the host). A prefill " +
        "that runs past --prefill-limit is cancelled and decode is measured at the depth it reached (\"depthNote\" in the " +
        "JSON). HiP options need --attention hip. One JSON object on stdout.")
    {
        foreach (var option in new Option[] { _model, _synthetic, _type, _cache, _context, _attention, _kv, _decodeSteps, _prefillLimit,
                     _device, _seed, _prefillChunk, _out, _prepareOnly })
            Options.Add(option);
        _hip.AddTo(this);
        SetAction(Run);
    }

    private int Run(ParseResult c)
    {
        string? modelPath = c.GetValue(_model);
        string? syntheticName = c.GetValue(_synthetic);
        string typeName = c.GetValue(_type)!;
        string cache = c.GetValue(_cache)!;
        var contexts = ParseContexts(c.GetValue(_context)!);
        string attentionName = c.GetValue(_attention)!;
        string kv = c.GetValue(_kv)!;
        int decodeSteps = c.GetValue(_decodeSteps);
        double prefillLimit = c.GetValue(_prefillLimit);
        string deviceName = c.GetValue(_device)!;
        int seed = c.GetValue(_seed);
        int? prefillChunk = c.GetValue(_prefillChunk);
        string? outPath = c.GetValue(_out);
        bool prepareOnly = c.GetValue(_prepareOnly);
        c.OnlyWhen(attentionName == "hip", "with --attention hip", [.. _hip.All]);
        var hip = attentionName == "hip" ? _hip.Get(c) : new HipAttentionOptions();
        if ((modelPath is null) == (syntheticName is null))
            throw new UsageException("generate needs exactly one of --model PATH or --synthetic NAME (with --type).");
        if (decodeSteps < 32)
            throw new UsageException($"--decode-steps {decodeSteps}: at least 32 steps make the median meaningful.");
        if (prefillLimit <= 0)
            throw new UsageException($"--prefill-limit {prefillLimit}: give seconds > 0.");

        var log = Console.Error;
        var report = new JsonObject
        {
            ["command"] = "generate",
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["attention"] = attentionName,
            ["kv"] = kv,
            ["decodeSteps"] = decodeSteps,
            ["prefillLimitSeconds"] = prefillLimit,
        };
        double generateSeconds = 0;
        if (syntheticName is not null)
        {
            var shape = SyntheticShape.Named(syntheticName);
            var type = SyntheticWeightType.Named(typeName);
            var (path, reused, writeTime) = SyntheticModel.Ensure(shape, type, cache, log);
            modelPath = path;
            generateSeconds = writeTime.TotalSeconds;
            report["synthetic"] = shape.Name;
            report["type"] = type.Name;
            report["parameters"] = shape.ParameterCount;
            report["syntheticFileReused"] = reused;
            report["syntheticWriteSeconds"] = Math.Round(generateSeconds, 2);
        }
        else if (!File.Exists(modelPath))
            throw new UsageException($"--model '{modelPath}' does not exist.");
        report["model"] = modelPath;
        report["fileBytes"] = new FileInfo(modelPath!).Length;
        if (prepareOnly)
        {
            Emit(report, outPath);
            return 0;
        }

        int maxContext = contexts.Max();
        var options = new EngineOptions
        {
            ContextLength = (maxContext + decodeSteps + 2 + 1023) / 1024 * 1024,   // whole KV blocks of any layout
            Attention = attentionName == "hip" ? AttentionKind.Hip : AttentionKind.Dense,
            Hip = hip,
            PrefillChunk = prefillChunk,
            PrefixCacheSlots = 1,
        };
        options = WithKvPrecision(options, kv);

        Gpu gpu;
        try
        {
            gpu = Gpu.Create(deviceName switch { "cuda" => DeviceKind.Cuda, "cpu" => DeviceKind.Cpu, _ => DeviceKind.Auto });
        }
        catch (InvalidOperationException e)
        {
            report["error"] = $"no device: {e.Message}";
            Emit(report, outPath);
            return 1;
        }
        using var ownedGpu = gpu;
        report["device"] = gpu.Description;
        var before = gpu.MemoryInfo();
        CheckFits(gpu, modelPath!, options.ContextLength!.Value, kv, before);
        InferenceEngine engine;
        var loadWatch = Stopwatch.StartNew();
        try
        {
            engine = InferenceEngine.Load(modelPath!, options, gpu);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or NotSupportedException or ArgumentException or OutOfMemoryException
                                  || e.GetType().Name.Contains("OutOfMemory", StringComparison.Ordinal) || e.GetType().Namespace?.StartsWith("ILGPU", StringComparison.Ordinal) == true)
        {
            report["error"] = $"load failed: {e.GetType().Name}: {e.Message}";
            report["memory"] = Memory(before, gpu.MemoryInfo(), null);
            Emit(report, outPath);
            return 1;
        }
        using (engine)
        {
            report["loadSeconds"] = Math.Round(loadWatch.Elapsed.TotalSeconds, 3);
            report["contextLength"] = engine.ContextLength;
            var afterLoad = gpu.MemoryInfo();
            report["memory"] = Memory(before, afterLoad, engine);
            var results = new JsonArray();
            bool failed = false;
            report["contexts"] = results;
            // warm-up: a short prompt and a few decode steps compile every kernel (ILGPU compiles on first use), so the
            // timed contexts measure the steady state; its wall time is the cold start a user's first request pays
            var warm = Stopwatch.StartNew();
            RunContext(engine, Math.Min(64, engine.ContextLength - 40), 33, prefillLimit, seed);
            report["warmupSeconds"] = Math.Round(warm.Elapsed.TotalSeconds, 3);
            report["decodeGraph"] = engine.DecodeGraphStatus;
            foreach (int context in contexts)
            {
                log.WriteLine($"[generate] context {context}: prefill ...");
                JsonObject result;
                try
                {
                    gpu.Kernels.Profile?.Collect();   // HIP_PROFILE=1: drop what the earlier runs recorded
                    result = RunContext(engine, context, decodeSteps, prefillLimit, seed + context);
                    result["decodeGraph"] = engine.DecodeGraphStatus;
                    if (gpu.Kernels.Profile is { } profile)
                        result["profile"] = ProfileJson(profile);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // an unattended run keeps the other contexts' numbers; the exit code says something failed
                    result = new JsonObject { ["context"] = context, ["error"] = $"{e.GetType().Name}: {e.Message}" };
                    failed = true;
                }
                log.WriteLine($"[generate] context {context}: {result.ToJsonString()}");
                results.Add(result);
            }
            ((JsonObject)report["memory"]!)["usedAfterRunBytes"] = before.FreeBytes - gpu.MemoryInfo().FreeBytes;
            Emit(report, outPath);
            return failed ? 1 : 0;
        }
    }

    // HIP_PROFILE=1: GPU milliseconds per decode step (per prefill chunk for "prefill: " labels) by launch label, largest
    // first (eager steps, an event between launches).
    private static JsonArray ProfileJson(LaunchProfile profile)
    {
        var rows = new JsonArray();
        foreach (var (label, ms, launches) in profile.Collect())
            rows.Add(new JsonObject { ["label"] = label, ["msPerStep"] = Math.Round(ms, 4), ["launchesPerStep"] = Math.Round(launches, 2) });
        return rows;
    }

    private static List<int> ParseContexts(string text)
    {
        var list = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string digits = part.EndsWith('K') || part.EndsWith('k') ? part[..^1] : part;
            if (!int.TryParse(digits, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < 2)
                throw new UsageException($"--context '{part}' is not a token count ≥ 2 (e.g. 512,32768,131072 or 512,32K,128K).");
            list.Add(digits.Length < part.Length ? checked(value * 1024) : value);
        }
        if (list.Count == 0)
            throw new UsageException("--context needs at least one token count.");
        list.Sort();
        return list;
    }

    // Fails before loading when weights plus KV cache cannot fit the free memory, with the numbers and what to lower.
    private static void CheckFits(Gpu gpu, string modelPath, int context, string kv, (long FreeBytes, long TotalBytes) memory)
    {
        var header = GgufReader.ReadHeader(modelPath);
        string arch = header.Metadata.TryGetValue(GgufKeys.Architecture, out var a) ? (string)a : "llama";
        long Get(string key) => header.Metadata.TryGetValue(key, out var v) ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : 0;
        long layers = Get(GgufKeys.BlockCount(arch)), heads = Get(GgufKeys.HeadCount(arch)), dim = Get(GgufKeys.EmbeddingLength(arch));
        long kvHeads = Get(GgufKeys.HeadCountKv(arch)) is > 0 and var g ? g : heads;
        if (layers == 0 || heads == 0)
            return;   // not a GGUF the estimate understands; the engine reports what it finds
        long kvBytes = layers * 2 * kvHeads * (dim / heads) * context * (kv == "f16" ? 2L : 4L);
        long weights = new FileInfo(modelPath).Length;
        if (weights + kvBytes > memory.FreeBytes)
            throw new UsageException(
                $"The model needs about {Gib(weights + kvBytes)} (weights {Gib(weights)} + KV cache {Gib(kvBytes)} for {context} positions, {kv}) " +
                $"but {(gpu.IsCuda ? "the device" : "the machine")} has {Gib(memory.FreeBytes)} free of {Gib(memory.TotalBytes)}: " +
                "lower --context, use --kv f16, or a smaller --type.");
    }

    private static string Gib(long bytes) => $"{bytes / (1024.0 * 1024 * 1024):F2} GiB";

    private static JsonObject Memory((long FreeBytes, long TotalBytes) before, (long FreeBytes, long TotalBytes) after, InferenceEngine? engine) => new()
    {
        ["totalBytes"] = before.TotalBytes,
        ["freeBeforeLoadBytes"] = before.FreeBytes,
        ["freeAfterLoadBytes"] = after.FreeBytes,
        ["usedByLoadBytes"] = before.FreeBytes - after.FreeBytes,
        ["weightBytes"] = engine?.WeightBytes,
        ["kvCacheBytes"] = engine?.KvCacheBytes,
    };

    private static JsonObject RunContext(InferenceEngine engine, int context, int decodeSteps, double prefillLimit, int seed)
    {
        var random = new Random(seed);
        int vocab = engine.Config.VocabSize;
        var prompt = new int[context];
        prompt[0] = engine.Tokenizer.BosId;
        for (int i = 1; i < context; i++)
            prompt[i] = random.Next(3, vocab);   // past <unk>, <s>, </s>
        var greedy = SamplingParams.Greedy with { MaxTokens = decodeSteps + 1, StopAtEndOfSequence = false };

        var result = new JsonObject { ["context"] = context };
        var progress = new LatestProgress();
        var status = new GenerationStatus { PrefillProgress = progress };
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(prefillLimit));
        var watch = Stopwatch.StartNew();
        var stamps = new List<double>();
        int depth = context;
        try
        {
            stamps = Decode(engine, prompt, greedy, status, limit.Token, watch, () => limit.CancelAfter(Timeout.Infinite));
        }
        catch (OperationCanceledException) when (stamps.Count == 0)
        {
            // Prefill ran past the limit: decode at the depth it reached, reusing the cached prefix.
            int reached = progress.Latest;
            result["depthNote"] = $"prefill cancelled at --prefill-limit {prefillLimit} s after {reached} of {context} tokens; " +
                "decode measured at that depth by reusing the cached prefix";
            result["prefill"] = new JsonObject
            {
                ["tokens"] = reached,
                ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 3),
                ["tokensPerSecond"] = Math.Round(reached / watch.Elapsed.TotalSeconds, 1),
                ["complete"] = false,
            };
            if (reached < 1)
            {
                result["decode"] = null;
                return result;
            }
            depth = Math.Min(reached + 1, prompt.Length);   // the limit may fire after the last prompt token was prefilled
            status = new GenerationStatus();
            watch.Restart();
            stamps = Decode(engine, prompt[..depth], greedy, status, CancellationToken.None, watch, null);
            result["decodeReusedPrefixTokens"] = status.CachedPromptTokens;
        }
        if (result["prefill"] is null)
        {
            double prefillSeconds = status.PrefillTime.TotalSeconds;
            int prefilled = context - status.CachedPromptTokens;
            result["prefill"] = new JsonObject
            {
                ["tokens"] = prefilled,
                ["cachedTokens"] = status.CachedPromptTokens,
                ["seconds"] = Math.Round(prefillSeconds, 3),
                ["tokensPerSecond"] = Math.Round(prefilled / prefillSeconds, 1),
                ["firstTokenSeconds"] = Math.Round(stamps[0], 3),
                ["complete"] = true,
            };
        }
        var steps = new double[stamps.Count - 1];
        for (int i = 1; i < stamps.Count; i++)
            steps[i - 1] = (stamps[i] - stamps[i - 1]) * 1000;
        Array.Sort(steps);
        double median = steps.Length == 0 ? double.NaN : steps.Length % 2 == 1 ? steps[steps.Length / 2] : (steps[steps.Length / 2 - 1] + steps[steps.Length / 2]) / 2;
        result["decode"] = new JsonObject
        {
            ["depth"] = depth,
            ["steps"] = steps.Length,
            ["medianMs"] = Math.Round(median, 3),
            ["minMs"] = steps.Length == 0 ? null : Math.Round(steps[0], 3),
            ["p90Ms"] = steps.Length == 0 ? null : Math.Round(steps[(int)(0.9 * (steps.Length - 1))], 3),
            ["tokensPerSecond"] = Math.Round(1000 / median, 2),
            ["finish"] = status.Finish.ToString(),
        };
        return result;
    }

    // Seconds since the watch started at which each token id reached the host; firstToken runs when the prefill is done.
    private static List<double> Decode(InferenceEngine engine, int[] prompt, SamplingParams sampling, GenerationStatus status,
        CancellationToken cancellation, Stopwatch watch, Action? firstToken)
    {
        var stamps = new List<double>();
        var tokens = engine.GenerateAsync(prompt, sampling, status, cancellation).GetAsyncEnumerator(CancellationToken.None);
        try
        {
            while (tokens.MoveNextAsync().AsTask().GetAwaiter().GetResult())
            {
                stamps.Add(watch.Elapsed.TotalSeconds);
                if (stamps.Count == 1)
                    firstToken?.Invoke();   // the prefill limit applies to the prefill only
            }
        }
        finally
        {
            tokens.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return stamps;
    }

    // The half-precision KV option is being added to EngineOptions concurrently; found by shape so this command needs no
    // edit once it lands: a public init property whose name has "Kv" and whose enum type has a member F16 (or Half).
    private static EngineOptions WithKvPrecision(EngineOptions options, string kv)
    {
        var property = typeof(EngineOptions).GetProperties()
            .FirstOrDefault(p => p.Name.Contains("Kv", StringComparison.Ordinal) && p.PropertyType.IsEnum && p.CanWrite);
        if (property is null)
            return kv == "f32" ? options : throw new UsageException(
                "--kv f16: this build's EngineOptions has no KV-cache precision option (the fp32 cache is the only one); use --kv f32.");
        string member = kv == "f16"
            ? Enum.GetNames(property.PropertyType).FirstOrDefault(n => n is "F16" or "Half" or "Float16")
              ?? throw new UsageException($"--kv f16: {property.PropertyType.Name} has no F16 member ({string.Join(", ", Enum.GetNames(property.PropertyType))}).")
            : Enum.GetNames(property.PropertyType).FirstOrDefault(n => n is "F32" or "Single" or "Float32")
              ?? throw new UsageException($"--kv f32: {property.PropertyType.Name} has no F32 member.");
        var copy = options with { };
        property.SetValue(copy, Enum.Parse(property.PropertyType, member));
        return copy;
    }

    private static void Emit(JsonObject report, string? outPath)
    {
        string json = report.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        Console.WriteLine(json);
        if (outPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            File.WriteAllText(outPath, json + Environment.NewLine);
        }
    }

    // Records the latest prefill position synchronously (Progress<T> would post it to the thread pool).
    private sealed class LatestProgress : IProgress<int>
    {
        private int _latest;
        public int Latest => Volatile.Read(ref _latest);
        public void Report(int value) => Volatile.Write(ref _latest, value);
    }
}
