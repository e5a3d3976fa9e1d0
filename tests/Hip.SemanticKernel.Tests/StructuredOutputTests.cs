using System.Text.Json;
using Hip.Inference;
using Microsoft.Extensions.AI;
using Xunit;

namespace Hip.SemanticKernel.Tests;

/// <summary>JSON response formats through the same constrained decoder, on the real stories260K engine.</summary>
public sealed class StructuredOutputTests
{
    public enum Sky { Sunny, Rainy, Snowy }

    public sealed record Forecast(Sky Sky, int Degrees, bool Windy);

    [Fact]
    public async Task GetResponseAsyncOfT_Record_ReturnsTheParsedObject()
    {
        using var client = new HipChatClient(SharedModel.Engine);

        var response = await client.GetResponseAsync<Forecast>("Once upon a time", new ChatOptions { Temperature = 0, MaxOutputTokens = 80 });

        Assert.True(response.TryGetResult(out var forecast), response.Text);
        Assert.True(Enum.IsDefined(forecast!.Sky));
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task GetResponseAsyncOfT_Integer_IsWrappedAndUnwrapped()
    {
        using var client = new HipChatClient(SharedModel.Engine);

        var response = await client.GetResponseAsync<int>("Once upon a time", new ChatOptions { Temperature = 0, MaxOutputTokens = 60 });

        Assert.True(response.TryGetResult(out _), response.Text);
        Assert.Contains("\"data\"", response.Text);
    }

    [Fact]
    public async Task GetStreamingResponse_JsonFormat_StreamsAJsonObject()
    {
        using var client = new HipChatClient(SharedModel.Engine);
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;

        await foreach (var update in client.GetStreamingResponseAsync("Once upon a time", new ChatOptions
        {
            Temperature = 0, MaxOutputTokens = 40, ResponseFormat = ChatResponseFormat.Json,
        }))
        {
            text.Append(update.Text);
            finish ??= update.FinishReason;
        }

        // within 40 tokens the object may still be open: then it is a prefix of one
        Assert.StartsWith("{", text.ToString().TrimStart());
        if (finish == ChatFinishReason.Stop)
            Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(text.ToString()).RootElement.ValueKind);
        else
            Assert.True(Grammar.AnyJson().IsPrefix(text.ToString()), text.ToString());
    }

    [Fact]
    public void GetResponse_SchemaKeywordTheGrammarCannotEnforce_ThrowsAtRequestTime()
    {
        using var client = new HipChatClient(SharedModel.Engine);
        using var schema = JsonDocument.Parse("""{"type":"object","patternProperties":{"^x":{"type":"string"}}}""");
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.RootElement) };

        var e = Assert.Throws<NotSupportedException>(() => client.GetStreamingResponseAsync("Hi", options));

        Assert.Contains("patternProperties", e.Message);
        Assert.Contains("'#'", e.Message);
    }

    [Fact]
    public void GetResponse_InvalidSchema_ThrowsArgumentExceptionWithItsPath()
    {
        using var client = new HipChatClient(SharedModel.Engine);
        using var schema = JsonDocument.Parse("""{"type":"object","properties":{"n":{"type":"integer","minimum":"zero"}}}""");
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.RootElement) };

        var e = Assert.Throws<ArgumentException>(() => client.GetStreamingResponseAsync("Hi", options));

        Assert.Contains("#/properties/n/minimum", e.Message);
    }

    [Fact]
    public async Task GetResponse_AutoToolsAndJsonFormat_GiveACallOrTheDocument()
    {
        using var client = new HipChatClient(SharedModel.Engine);
        var options = new ChatOptions
        {
            Temperature = 0, MaxOutputTokens = 110, Tools = [ToolCallingTests.Add], AllowMultipleToolCalls = false,
            ResponseFormat = ChatResponseFormat.ForJsonSchema<Forecast>(),
        };

        var response = await client.GetResponseAsync("Once upon a time", options);

        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        if (calls.Count > 0)
        {
            Assert.Equal("add", Assert.Single(calls).Name);
            Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
            Assert.Equal("", response.Text);
        }
        else if (response.FinishReason == ChatFinishReason.Stop)
        {
            Assert.NotNull(JsonSerializer.Deserialize<Forecast>(response.Text, AIJsonUtilities.DefaultOptions));
        }
    }

    private const string IndentedSchema = """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "properties": { "name": { "type": "string" }, "age": { "type": "integer" } },
          "required": [ "name", "age" ]
        }
        """;

    [Fact]
    public async Task GetResponse_SchemaOnThePlainTemplate_StaysOutOfThePrompt()
    {
        using var client = new HipChatClient(SharedModel.Engine);   // plain template: a base model
        using var schema = JsonDocument.Parse(IndentedSchema);
        var plain = await client.GetResponseAsync("Once upon a time", new ChatOptions { Temperature = 0, MaxOutputTokens = 1 });

        var json = await client.GetResponseAsync("Once upon a time",
            new ChatOptions { Temperature = 0, MaxOutputTokens = 1, ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.RootElement) });

        Assert.Equal(plain.Usage!.InputTokenCount, json.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task GetResponse_SchemaOnAChatTemplate_IsInThePromptCompact()
    {
        using var client = new HipChatClient(SharedModel.Engine, new HipChatClientOptions { ChatTemplate = "chatml" });
        using var schema = JsonDocument.Parse(IndentedSchema);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 1, ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.RootElement) };
        var plain = await client.GetResponseAsync("Once upon a time", new ChatOptions { Temperature = 0, MaxOutputTokens = 1 });

        var json = await client.GetResponseAsync("Once upon a time", options);
        string instructions = ResponsePlan.Create(options).Instructions!;

        Assert.True(json.Usage!.InputTokenCount > plain.Usage!.InputTokenCount);
        Assert.Contains("""{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}""", instructions);
        Assert.DoesNotContain("$schema", instructions);
    }

    [Fact]
    public void JsonGrammarOptions_Defaults_ShortStringsAndKeyCapFromTheOption()
    {
        Assert.Equal(128, JsonGrammarOptions.Default.MaxStringLength);
        const string dictionary = """{"type":"object","additionalProperties":{"type":"integer"}}""";
        var narrow = Grammar.FromJsonSchema(dictionary, new JsonGrammarOptions { MaxPropertyNameLength = 4 });
        var wide = Grammar.FromJsonSchema(dictionary, new JsonGrammarOptions { MaxPropertyNameLength = 100 });
        string key80 = new('k', 80);

        Assert.True(narrow.Matches("""{"abcd":1}"""));
        Assert.False(narrow.IsPrefix("""{"abcde"""));
        Assert.True(wide.Matches($$"""{"{{key80}}":1}"""));
    }
}
