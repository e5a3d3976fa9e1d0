// Semantic Kernel over the embedded stories260K model (or --model PATH / HIP_MODEL): a prompt function with a
// template variable, then IChatCompletionService with a ChatHistory, streamed.
//   dotnet run --project samples/Hip.Samples.SemanticKernel -- --prompt "Once upon a time" --max-tokens 40
using System.CommandLine;
using Hip.Samples;
using Hip.SemanticKernel;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

var commandLine = new SemanticKernelCommandLine();
if (SampleCommandLine.Parse(commandLine, args, out int exitCode) is not { } parse)
    return exitCode;
string modelPath = parse.GetValue(commandLine.Model)!;
string prompt = parse.GetValue(commandLine.Prompt)!;
int maxTokens = parse.GetValue(commandLine.MaxTokens);

var builder = Kernel.CreateBuilder();
builder.AddHipChatCompletion(modelPath);
var kernel = builder.Build();
var settings = new HipPromptExecutionSettings { Temperature = 0, MaxTokens = maxTokens };

try
{
    // 1. a prompt function: the template's variable is filled in, the model continues the text
    var story = kernel.CreateFunctionFromPrompt("{{$beginning}}", settings);
    var result = await kernel.InvokeAsync(story, new KernelArguments { ["beginning"] = prompt });
    Console.WriteLine($"{prompt}{result}");

    // 2. the chat service with a history (a system message, then the user's turn), streamed
    var chat = kernel.GetRequiredService<IChatCompletionService>();
    var history = new ChatHistory("Tom had a red ball.");
    history.AddUserMessage("One day");
    Console.Write("One day");
    await foreach (var chunk in chat.GetStreamingChatMessageContentsAsync(history, settings, kernel))
        Console.Write(chunk.Content);
    Console.WriteLine();
    return 0;
}
catch (Exception e) when (e is not OperationCanceledException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

/// <summary>The sample's options (System.CommandLine: <c>--help</c> lists them).</summary>
internal sealed class SemanticKernelCommandLine : RootCommand
{
    public readonly Option<string> Prompt = new("--prompt") { Description = "The beginning the prompt function continues.", DefaultValueFactory = _ => "Once upon a time" };
    public readonly Option<int> MaxTokens = new("--max-tokens") { Description = "Most tokens per answer.", DefaultValueFactory = _ => 40 };
    public readonly Option<string> Model = new("--model")
    {
        Description = "The model file; HIP_MODEL=PATH also names one.",
        DefaultValueFactory = _ => SampleCommandLine.DefaultModel,
    };

    public SemanticKernelCommandLine() : base("Semantic Kernel over the embedded stories260K model: a prompt function with a template variable, then the chat service with a history, streamed.")
    {
        Options.Add(Prompt);
        Options.Add(MaxTokens);
        Options.Add(Model);
    }
}
