using System.Text.Json;
using Microsoft.Extensions.AI;
using Xunit;

namespace Hip.SemanticKernel.Tests;

/// <summary>Tool calls from the real stories260K engine under grammar-constrained decoding (plain template: the JSON tool syntax).</summary>
public sealed class ToolCallingTests
{
    // the tiny model spends a token on every space it likes: a call of add(a, b) takes about 80 tokens
    private const int CallTokens = 110;

    internal static AIFunction Add { get; } = AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two numbers");

    internal static AIFunction Weather { get; } = AIFunctionFactory.Create(
        (Sky sky, bool windy) => $"{sky}, {(windy ? "windy" : "calm")}", "weather", "Describes the weather");

    internal enum Sky { Sunny, Rainy }

    private static ChatOptions Options(ChatToolMode mode, params AITool[] tools) =>
        new() { Temperature = 0, MaxOutputTokens = CallTokens, Tools = tools, ToolMode = mode };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetResponse_RequireSpecific_ReturnsOneValidCall(bool streaming)
    {
        using var client = new HipChatClient(SharedModel.Engine);

        var response = await AskAsync(client, Options(ChatToolMode.RequireSpecific("add"), Weather, Add), streaming);

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("add", call.Name);
        Assert.StartsWith("call_", call.CallId);
        Assert.Null(call.Exception);
        Assert.Equal(["a", "b"], call.Arguments!.Keys.Order());
        Assert.All(call.Arguments.Values, v => Assert.True(((JsonElement)v!).TryGetInt32(out _)));
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.Equal("", response.Text);
    }

    [Fact]
    public async Task GetResponse_CompactJsonGrammarOption_WritesTheCallWithoutWhitespace()
    {
        using var client = new HipChatClient(SharedModel.Engine);
        var options = Options(ChatToolMode.RequireSpecific("add"), Add);
        options.AdditionalProperties = new() { [HipChatClient.JsonGrammarOptionsKey] = new Hip.Inference.JsonGrammarOptions { AllowWhitespace = false } };
        var updates = new List<ChatResponseUpdate>();

        await foreach (var update in client.GetStreamingResponseAsync("Once upon a time", options))
            updates.Add(update);

        var call = Assert.Single(updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>());
        Assert.Equal(["a", "b"], call.Arguments!.Keys.Order());
        // integers without bounds stay within nine digits by default, so they fit the int parameters
        Assert.All(call.Arguments.Values, v => Assert.True(((JsonElement)v!).TryGetInt32(out _)));
    }

    [Fact]
    public async Task GetStreamingResponse_RequireAny_NeverStreamsTheCallAsText()
    {
        using var client = new HipChatClient(SharedModel.Engine);
        var updates = new List<ChatResponseUpdate>();

        var options = Options(ChatToolMode.RequireAny, Weather);
        options.AllowMultipleToolCalls = false;

        await foreach (var update in client.GetStreamingResponseAsync("Once upon a time", options))
            updates.Add(update);

        Assert.DoesNotContain(updates, u => u.Contents.OfType<TextContent>().Any());
        var call = Assert.Single(updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>());
        Assert.Equal("weather", call.Name);
        Assert.Contains(((JsonElement)call.Arguments!["sky"]!).GetString(), new[] { "Sunny", "Rainy" });
        Assert.Equal(ChatFinishReason.ToolCalls, updates[^1].FinishReason);
        Assert.Equal(updates[0].ResponseId, updates[^1].ResponseId);
    }

    [Fact]
    public async Task GetResponse_ToolModeNone_AnswersWithTextAndOffersNoTools()
    {
        using var client = new HipChatClient(SharedModel.Engine);
        var plain = await client.GetResponseAsync("Once upon a time", new ChatOptions { Temperature = 0, MaxOutputTokens = 6 });

        var none = await client.GetResponseAsync("Once upon a time", new ChatOptions { Temperature = 0, MaxOutputTokens = 6, Tools = [Add], ToolMode = ChatToolMode.None });

        Assert.Equal(plain.Text, none.Text);
        Assert.Equal(plain.Usage!.InputTokenCount, none.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task GetResponse_AutoMode_OffersTheToolsAndAllowsText()
    {
        using var client = new HipChatClient(SharedModel.Engine);
        var plain = await client.GetResponseAsync("Once upon a time", new ChatOptions { Temperature = 0, MaxOutputTokens = 6 });

        var auto = await client.GetResponseAsync("Once upon a time", new ChatOptions { Temperature = 0, MaxOutputTokens = 6, Tools = [Add] });

        Assert.True(auto.Usage!.InputTokenCount > plain.Usage!.InputTokenCount + 20, "the tools are described in the prompt");
        Assert.Empty(auto.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.NotEqual("", auto.Text);   // stories260K tells a story rather than open with '{'
        Assert.DoesNotContain("tool_calls", auto.Text);
    }

    [Fact]
    public void GetResponse_ToolSchemaTheGrammarCannotEnforce_ThrowsAtRequestTime()
    {
        using var client = new HipChatClient(SharedModel.Engine);
        using var schema = JsonDocument.Parse("""{"type":"object","properties":{"q":{"type":"string","format":"hostname"}}}""");
        var tool = AIFunctionFactory.CreateDeclaration("lookup", "Looks a host up", schema.RootElement);

        var e = Assert.Throws<NotSupportedException>(() => client.GetStreamingResponseAsync("Hi", Options(ChatToolMode.Auto, tool)));

        Assert.Contains("lookup", e.Message);
        Assert.Contains("format", e.Message);
        Assert.Contains("#/properties/q", e.Message);
    }

    [Fact]
    public void GetResponse_RequireSpecificUnknownTool_ThrowsNamingIt()
    {
        using var client = new HipChatClient(SharedModel.Engine);

        var e = Assert.Throws<ArgumentException>(() => client.GetStreamingResponseAsync("Hi", Options(ChatToolMode.RequireSpecific("multiply"), Add)));

        Assert.Contains("multiply", e.Message);
    }

    [Fact]
    public async Task GetResponse_HistoryWithCallAndResult_IsRenderedForTheModel()
    {
        using var client = new HipChatClient(SharedModel.Engine);
        List<ChatMessage> history =
        [
            new(ChatRole.User, "Add 2 and 3."),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", "add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", 5)]),
        ];
        var withoutResult = await client.GetResponseAsync(history.Take(1), new ChatOptions { Temperature = 0, MaxOutputTokens = 2, Tools = [Add] });

        var response = await client.GetResponseAsync(history, new ChatOptions { Temperature = 0, MaxOutputTokens = 2, Tools = [Add] });

        // {"tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}]} and {"tool_results": [{"name": "add", "result": 5}]}
        Assert.True(response.Usage!.InputTokenCount > withoutResult.Usage!.InputTokenCount + 40);
    }

    private static async Task<ChatResponse> AskAsync(IChatClient client, ChatOptions options, bool streaming) => streaming
        ? await client.GetStreamingResponseAsync("Once upon a time", options).ToChatResponseAsync()
        : await client.GetResponseAsync("Once upon a time", options);
}
