// Streams a continuation of a prompt from the embedded stories260K model (or --model PATH) through HipChatClient,
// the IChatClient a Microsoft.Extensions.AI or Semantic Kernel app would use.
//   dotnet run --project samples/Hip.Samples.Chat -- --prompt "Once upon a time" --max-tokens 60 --temperature 0
using System.CommandLine;
using System.Diagnostics;
using Hip.Inference;
using Hip.Kernels;
using Hip.Samples;
using Hip.SemanticKernel;
using Microsoft.Extensions.AI;

var arguments = ChatCommandLine.Parse(args, out int exitCode);
if (arguments is null)
    return exitCode;

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

/// <summary>The sample's command line (System.CommandLine: <c>--help</c> lists the options).</summary>
internal sealed record ChatCommandLine
{
    public string Prompt { get; init; } = "Once upon a time";
    public string? SystemPrompt { get; init; }
    public string ModelPath { get; init; } = SampleCommandLine.DefaultModel;
    public string? TokenizerPath { get; init; }
    public int MaxTokens { get; init; } = 200;
    public float Temperature { get; init; } = 0.8f;
    public int TopK { get; init; }
    public float TopP { get; init; } = 0.95f;
    public int? Seed { get; init; }
    public int? ContextLength { get; init; }
    public AttentionKind Attention { get; init; } = AttentionKind.Dense;
    public DeviceKind Device { get; init; } = DeviceKind.Auto;

    /// <summary>The options, for --help and parsing.</summary>
    internal static RootCommand Create() => new Definition();

    /// <summary>The arguments, or null when the program is done with <paramref name="exitCode"/> (--help: 0; a bad command line: 2).</summary>
    public static ChatCommandLine? Parse(string[] args, out int exitCode)
    {
        var d = new Definition();
        if (SampleCommandLine.Parse(d, args, out exitCode) is not { } parse)
            return null;
        return new ChatCommandLine
        {
            Prompt = parse.GetValue(d.Prompt)!,
            SystemPrompt = parse.GetValue(d.System),
            ModelPath = parse.GetValue(d.Model)!,
            TokenizerPath = parse.GetValue(d.Tokenizer),
            MaxTokens = parse.GetValue(d.MaxTokens),
            Temperature = parse.GetValue(d.Temperature),
            TopK = parse.GetValue(d.TopK),
            TopP = parse.GetValue(d.TopP),
            Seed = parse.GetValue(d.Seed),
            ContextLength = parse.GetValue(d.Context),
            Attention = parse.GetValue(d.Attention),
            Device = parse.GetValue(d.Device),
        };
    }

    private sealed class Definition : RootCommand
    {
        private static readonly ChatCommandLine s_defaults = new();

        public readonly Option<string> Prompt = new("--prompt") { Description = "The text the model continues (the user's turn).", DefaultValueFactory = _ => s_defaults.Prompt };
        public readonly Option<string?> System = new("--system") { Description = "A system message before the prompt." };
        public readonly Option<int> MaxTokens = new("--max-tokens") { Description = "Most tokens to generate.", DefaultValueFactory = _ => s_defaults.MaxTokens };
        public readonly Option<float> Temperature = new("--temperature") { Description = "Sampling temperature (0: greedy).", DefaultValueFactory = _ => s_defaults.Temperature };
        public readonly Option<int> TopK = new("--top-k") { Description = "Sample among the K likeliest tokens (0: all).", DefaultValueFactory = _ => s_defaults.TopK };
        public readonly Option<float> TopP = new("--top-p") { Description = "Nucleus sampling: the likeliest tokens up to this probability mass.", DefaultValueFactory = _ => s_defaults.TopP };
        public readonly Option<int?> Seed = new("--seed") { Description = "Sampling seed (default: a random one)." };
        public readonly Option<string> Model = new("--model") { Description = "The model file (GGUF, or a llama2.c checkpoint with --tokenizer); HIP_MODEL=PATH also names one.", DefaultValueFactory = _ => SampleCommandLine.DefaultModel };
        public readonly Option<string?> Tokenizer = new("--tokenizer") { Description = "A SentencePiece .model for a checkpoint without a tokenizer inside." };
        public readonly Option<int?> Context = new("--context") { Description = "KV-cache positions (default: the model's trained context)." };
        public readonly Option<AttentionKind> Attention = new("--attention") { Description = "Dense or HiP sparse attention.", DefaultValueFactory = _ => s_defaults.Attention };
        public readonly Option<DeviceKind> Device = new("--device") { Description = "CUDA, the CPU accelerator, or Auto (CUDA when present; HIP_DEVICE=cuda|cpu forces one).", DefaultValueFactory = _ => s_defaults.Device };

        public Definition() : base("Streams a continuation of a prompt from the embedded stories260K model (or --model PATH) through HipChatClient.")
        {
            foreach (var option in new Option[] { Prompt, System, MaxTokens, Temperature, TopK, TopP, Seed, Model, Tokenizer, Context, Attention, Device })
                Options.Add(option);
        }
    }
}
