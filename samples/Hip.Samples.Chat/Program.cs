// Streams a continuation of a prompt from the embedded stories260K model (or --model PATH) through HipChatClient,
// the IChatClient a Microsoft.Extensions.AI or Semantic Kernel app would use.
//   dotnet run --project samples/Hip.Samples.Chat -- --prompt "Once upon a time" --max-tokens 60 --temperature 0
using System.Diagnostics;
using Hip.Inference;
using Hip.Kernels;
using Hip.SemanticKernel;
using Microsoft.Extensions.AI;

var arguments = CommandLine.Parse(args);
if (arguments is null)
    return 2;

var modelOptions = new HipChatClientOptions
{
    ModelPath = arguments.ModelPath,
    TokenizerPath = arguments.TokenizerPath,
    ContextLength = arguments.ContextLength,
    Attention = arguments.Attention,
    Device = arguments.Device,
};
var chatOptions = new ChatOptions
{
    Temperature = arguments.Temperature,
    TopK = arguments.TopK,
    TopP = arguments.TopP,
    Seed = arguments.Seed,
    MaxOutputTokens = arguments.MaxTokens,
};
List<ChatMessage> messages = arguments.SystemPrompt is { } system
    ? [new(ChatRole.System, system), new(ChatRole.User, arguments.Prompt)]
    : [new(ChatRole.User, arguments.Prompt)];

try
{
    using var model = new HipModel(modelOptions);
    var engine = await model.LoadAsync();
    Console.Error.WriteLine($"model {engine.ModelId} ({engine.Config.LayerCount} layers, dim {engine.Config.Dim}, vocab {engine.Config.VocabSize}) " +
        $"on {engine.DeviceDescription}, chat template {model.ChatTemplate}");
    using IChatClient client = new HipChatClient(model);

    var watch = Stopwatch.StartNew();
    var updates = client.GetStreamingResponseAsync(messages, chatOptions);   // checks the options and the prompt length first
    Console.Write(arguments.Prompt);
    UsageDetails? usage = null;
    ChatFinishReason? finish = null;
    await foreach (var update in updates)
    {
        Console.Write(update.Text);
        usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
        finish = update.FinishReason ?? finish;
    }
    Console.WriteLine();
    long produced = usage?.OutputTokenCount ?? 0;
    Console.Error.WriteLine($"{produced} tokens in {watch.Elapsed.TotalSeconds:F2} s ({produced / watch.Elapsed.TotalSeconds:F1} tokens/s, " +
        $"prompt {usage?.InputTokenCount} tokens, finish {finish})");
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
    public string? SystemPrompt { get; init; }
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
        usage: Hip.Samples.Chat [--prompt TEXT] [--system TEXT] [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed S]
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
                    "--system" => result with { SystemPrompt = Next() },
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
