// Semantic Kernel over the embedded stories260K model (or --model PATH / HIP_MODEL): a prompt function with a
// template variable, then IChatCompletionService with a ChatHistory, streamed.
//   dotnet run --project samples/Hip.Samples.SemanticKernel -- --prompt "Once upon a time" --max-tokens 40
using Hip.SemanticKernel;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

string modelPath = Environment.GetEnvironmentVariable("HIP_MODEL") is { Length: > 0 } envModel
    ? envModel : Path.Combine(AppContext.BaseDirectory, "models", "stories260K", "stories260K.gguf");
string prompt = "Once upon a time";
int maxTokens = 40;
for (int i = 0; i < args.Length; i++)
{
    string? value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--model" when value is not null: modelPath = value; i++; break;
        case "--prompt" when value is not null: prompt = value; i++; break;
        case "--max-tokens" when int.TryParse(value, out maxTokens): i++; break;
        default:
            Console.Error.WriteLine($"error: unknown or incomplete option '{args[i]}'.");
            Console.Error.WriteLine("usage: Hip.Samples.SemanticKernel [--prompt TEXT] [--max-tokens N] [--model PATH]");
            return 2;
    }
}

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
