// Streams a continuation of a prompt from the embedded stories260K model (or --model PATH).
//   dotnet run --project samples/Hip.Samples.Chat -- --prompt "Once upon a time" --max-tokens 60 --temperature 0
using System.Diagnostics;
using Hip.Inference;
using Hip.Kernels;

var arguments = CommandLine.Parse(args);
if (arguments is null)
    return 2;

var engineOptions = new EngineOptions
{
    ContextLength = arguments.ContextLength,
    Attention = arguments.Attention,
    Device = arguments.Device,
    TokenizerPath = arguments.TokenizerPath,
};
var sampling = new SamplingParams
{
    Temperature = arguments.Temperature,
    TopK = arguments.TopK,
    TopP = arguments.TopP,
    Seed = arguments.Seed,
    MaxTokens = arguments.MaxTokens,
};

try
{
    sampling.Validate();
    using var engine = InferenceEngine.Load(arguments.ModelPath, engineOptions);
    Console.Error.WriteLine($"model {engine.ModelId} ({engine.Config.LayerCount} layers, dim {engine.Config.Dim}, vocab {engine.Config.VocabSize}) on {engine.DeviceDescription}");

    var prompt = engine.Tokenizer.Encode(arguments.Prompt, addBos: true);
    var decoder = new StreamingDecoder(engine.Tokenizer, prompt);
    Console.Write(arguments.Prompt);
    var watch = Stopwatch.StartNew();
    int produced = 0;
    await foreach (int token in engine.GenerateAsync(prompt, sampling))
    {
        Console.Write(decoder.Append(token));
        produced++;
    }
    Console.WriteLine(decoder.Flush());
    Console.Error.WriteLine($"{produced} tokens in {watch.Elapsed.TotalSeconds:F2} s ({produced / watch.Elapsed.TotalSeconds:F1} tokens/s, prompt {prompt.Count} tokens)");
    return 0;
}
catch (Exception e) when (e is InvalidDataException or ArgumentException or InvalidOperationException or NotSupportedException or FileNotFoundException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

/// <summary>The sample's command line.</summary>
internal sealed record CommandLine
{
    public string Prompt { get; init; } = "Once upon a time";
    public string ModelPath { get; init; } = Path.Combine(AppContext.BaseDirectory, "models", "stories260K", "stories260K.gguf");
    public string? TokenizerPath { get; init; }
    public int MaxTokens { get; init; } = 200;
    public float Temperature { get; init; } = 0.8f;
    public int TopK { get; init; }
    public float TopP { get; init; } = 0.95f;
    public int? Seed { get; init; }
    public int? ContextLength { get; init; }
    public AttentionKind Attention { get; init; } = AttentionKind.Dense;
    public DeviceKind Device { get; init; } = DeviceKind.Auto;

    private const string Usage = """
        usage: Hip.Samples.Chat [--prompt TEXT] [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed S]
                                [--model PATH] [--tokenizer PATH] [--context N] [--attention dense|hip] [--device auto|cuda|cpu]
        The model defaults to the embedded stories260K; HIP_MODEL=PATH also names one.
        """;

    public static CommandLine? Parse(string[] args)
    {
        var result = new CommandLine();
        if (Environment.GetEnvironmentVariable("HIP_MODEL") is { Length: > 0 } envModel)
            result = result with { ModelPath = envModel };
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value.");
                result = args[i] switch
                {
                    "--prompt" => result with { Prompt = Next() },
                    "--model" => result with { ModelPath = Next() },
                    "--tokenizer" => result with { TokenizerPath = Next() },
                    "--max-tokens" => result with { MaxTokens = int.Parse(Next()) },
                    "--temperature" => result with { Temperature = float.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture) },
                    "--top-k" => result with { TopK = int.Parse(Next()) },
                    "--top-p" => result with { TopP = float.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture) },
                    "--seed" => result with { Seed = int.Parse(Next()) },
                    "--context" => result with { ContextLength = int.Parse(Next()) },
                    "--attention" => result with { Attention = Enum.Parse<AttentionKind>(Next(), ignoreCase: true) },
                    "--device" => result with { Device = Enum.Parse<DeviceKind>(Next(), ignoreCase: true) },
                    "-h" or "--help" => throw new FormatException(""),
                    _ => throw new FormatException($"Unknown option '{args[i]}'."),
                };
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            if (e.Message.Length > 0)
                Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine(Usage);
            return null;
        }
        return result;
    }
}
