// A whole-codebase agent: reads a folder into the context (honouring .gitignore, skipping binaries), prefills it once,
// then answers questions with tools (read a file, list a folder, search text) through Agent Framework's ChatClientAgent
// over HipChatClient, in one session. Every question continues the prefilled prefix, so the engine's prefix KV cache
// makes a follow-up cost only its own tokens. Progress and statistics go to stderr; questions and answers to stdout.
//   dotnet run --project samples/Hip.Samples.CodebaseAgent -- src/Hip.Kernels --model PATH --context 65536 --question "What does RmsNorm do?"
using System.Diagnostics;
using Hip.Inference;
using Hip.SemanticKernel;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

const int QuestionTokens = 64;   // room kept for a question, besides --max-tokens for the answer

var arguments = CodebaseAgentCommandLine.Parse(args, out int exitCode);
if (arguments is null)
    return exitCode;

ServiceProvider Services(int? contextLength)
{
    var services = new ServiceCollection();
    services.AddHipChatClient(o =>
    {
        o.ModelPath = arguments.ModelPath;
        o.ContextLength = contextLength;
        o.Attention = arguments.Attention;
        o.Hip = arguments.Hip;
        o.Device = arguments.Device;
        o.PrefixCacheSlots = 1;   // one conversation: its cache slot keeps the folder's keys and values between questions
    }).UseFunctionInvocation();
    return services.BuildServiceProvider();
}

var provider = Services(arguments.ContextLength);
try
{
    // the model loads on a worker thread while the folder is read
    var model = provider.GetRequiredService<HipModel>();
    model.StartLoading();
    var tree = SourceTree.Scan(arguments.Folder);
    if (tree.Files.Count == 0)
    {
        Console.Error.WriteLine($"error: '{tree.Root}' has no text files to load (after .gitignore rules and skipping binaries).");
        return 1;
    }
    var engine = await model.LoadAsync();
    var chatClient = provider.GetRequiredService<IChatClient>();
    var template = chatClient.GetRequiredService<ChatTemplate>();
    Console.Error.WriteLine($"model {engine.ModelId} on {engine.DeviceDescription}, context {engine.ContextLength:N0} tokens, " +
        $"{engine.Options.Attention} attention, chat template {template.Name}");

    // load: the files into the instructions, with their token counts
    var prompt = await ProgressDisplay.RunAsync("load", tree.Files.Count, "files",
        step => Task.FromResult(CodebasePrompt.Render(tree, engine.Tokenizer.CountTokens, step)),
        (rendered, _) => $"{rendered.Files.Sum(f => f.Tokens):N0} tokens from {tree.Root}");
    foreach (var (file, tokens) in prompt.Files)
        Console.Error.WriteLine($"{tokens,10:N0} tokens  {file.RelativePath}");
    Console.Error.WriteLine($"left out: {tree.IgnoredCount} ignored by .gitignore, {tree.BinaryCount} binary" +
        (tree.SkippedPaths.Count > 0 ? $", {tree.SkippedPaths.Count} not regular files inside the folder (links out, dangling or looping links, linked folders, pipes, devices): {string.Join(", ", tree.SkippedPaths)}" : "") +
        (tree.LargeFiles.Count > 0 ? $", over {SourceTree.MaxFileBytes >> 20} MiB: {string.Join(", ", tree.LargeFiles)}" : ""));

    // the tokens every question's prompt starts with: the template's system turn up to the first user text
    // (the tool definitions are rendered into the prompt too, so they count)
    var tools = new CodebaseTools(tree).Create();
    var toolDefinitions = tools.OfType<AIFunctionDeclaration>()
        .Select(t => new ChatTemplateTool(t.Name, t.Description, t.JsonSchema.GetRawText())).ToList();
    var prefix = new ChatTemplateEncoder(engine.Tokenizer, engine.Metadata).Encode(
        template, [ChatTemplateMessage.System(prompt.Text), ChatTemplateMessage.User("")], addGenerationPrompt: false, toolDefinitions);
    int needed = prefix.Count + QuestionTokens + arguments.MaxTokens;
    if (needed > engine.ContextLength && arguments.ContextLength is null)
    {
        // no --context: size the context to this folder, as far as memory allows, and load again with it
        int sized = (needed + 255) / 256 * 256;
        long bytesPerPosition = engine.KvCacheBytes / engine.ContextLength;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;   // leave room for everything else
        if ((long)sized * bytesPerPosition <= available)
        {
            Console.Error.WriteLine($"context sized to {sized:N0} tokens for this folder (--context sets it; the model was trained for " +
                $"{engine.Config.ContextLength:N0}{(sized > engine.Config.ContextLength ? ", so answers past that may degrade" : "")})");
            await provider.DisposeAsync();
            provider = Services(sized);
            engine = await provider.GetRequiredService<HipModel>().LoadAsync();
            chatClient = provider.GetRequiredService<IChatClient>();
        }
    }
    if (needed > engine.ContextLength)
    {
        var largest = prompt.Files.OrderByDescending(f => f.Tokens).Take(3).Select(f => $"{f.File.RelativePath} ({f.Tokens:N0} tokens)");
        Console.Error.WriteLine(
            $"error: the folder does not fit the context: it needs {needed:N0} tokens ({prefix.Count:N0} for its {tree.Files.Count} files " +
            $"with the instructions, {QuestionTokens} for a question, {arguments.MaxTokens} for the answer), but the context holds " +
            $"{engine.ContextLength:N0}. Raise --context (the model was trained for {engine.Config.ContextLength:N0}; --attention hip " +
            $"keeps long contexts fast), lower --max-tokens, or pick a smaller folder or add .gitignore rules. " +
            $"Largest files: {string.Join(", ", largest)}.");
        return 3;
    }

    // prefill once, straight on the engine so the bar can follow it; the questions reuse these keys and values
    await ProgressDisplay.RunAsync("prefill", prefix.Count, "tokens", async step =>
        {
            var status = new GenerationStatus { PrefillProgress = step };
            await foreach (int _ in engine.GenerateAsync(prefix, SamplingParams.Greedy with { MaxTokens = 1 }, status))
            {
            }
            return status;
        },
        (_, elapsed) => $"{prefix.Count / elapsed.TotalSeconds:N0} tokens/s, {elapsed.TotalSeconds:F1} s");

    // one agent and one session: each question sees the earlier ones
    AIAgent agent = new ChatClientAgent(chatClient, instructions: prompt.Text, name: "CodebaseAgent", tools: tools);
    var session = await agent.CreateSessionAsync();
    var run = new ChatClientAgentRunOptions(new ChatOptions { MaxOutputTokens = arguments.MaxTokens, Temperature = arguments.Temperature });
    foreach (string question in ReadQuestions(arguments.Questions))
    {
        try
        {
            await AnswerAsync(agent, session, run, question);
        }
        catch (ArgumentException e) when (e.ParamName == "messages")
        {
            Console.Error.WriteLine($"error: the conversation has outgrown the context (raise --context, or ask fewer questions per run): {e.Message}");
            return 3;
        }
    }
    return 0;
}
catch (Exception e) when (e is OptionsValidationException or InvalidOperationException or IOException or UnauthorizedAccessException
    or NotSupportedException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
finally
{
    await provider.DisposeAsync();
}

// --question values, else lines from stdin until an empty line or its end
static IEnumerable<string> ReadQuestions(IReadOnlyList<string> given)
{
    if (given.Count > 0)
    {
        foreach (string question in given)
            yield return question;
        yield break;
    }
    while (true)
    {
        if (!Console.IsInputRedirected)
            Console.Error.Write("question (empty line ends)> ");
        if (Console.ReadLine() is not { Length: > 0 } line || string.IsNullOrWhiteSpace(line))
            yield break;
        yield return line;
    }
}

// streams the answer to stdout; usage summed over the model calls (one more per round of tool calls) to stderr
static async Task AnswerAsync(AIAgent agent, AgentSession session, AgentRunOptions run, string question)
{
    Console.WriteLine($"> {question}");
    var watch = Stopwatch.StartNew();
    TimeSpan? firstToken = null;
    var usage = new UsageDetails();
    int calls = 0;
    ChatFinishReason? finish = null;
    await foreach (var update in agent.RunStreamingAsync(question, session, run))
    {
        foreach (var content in update.Contents)
        {
            if (content is UsageContent used)
            {
                usage.Add(used.Details);
                calls++;
            }
            else if (content is TextContent or FunctionCallContent)
            {
                firstToken ??= watch.Elapsed;
            }
        }
        Console.Write(update.Text);
        finish = update.FinishReason ?? finish;
    }
    Console.WriteLine();
    string cached = usage.CachedInputTokenCount is long reused
        ? $"{reused:N0} cached, {usage.InputTokenCount - reused:N0} prefilled"
        : "cached tokens not reported by the client";
    Console.Error.WriteLine($"  prompt {usage.InputTokenCount:N0} tokens ({cached}), output {usage.OutputTokenCount:N0} tokens, " +
        $"first token {firstToken?.TotalSeconds:F2} s, total {watch.Elapsed.TotalSeconds:F2} s" +
        (calls > 1 ? $", {calls} model calls" : "") + (finish == ChatFinishReason.Length ? ", cut short by --max-tokens" : ""));
}
