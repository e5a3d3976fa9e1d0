using Hip.Inference;
using Hip.TestSupport;
using Microsoft.Extensions.AI;
using Xunit;

namespace Hip.SemanticKernel.Tests;

public sealed class ResponsePlanTests
{
    private static readonly AIFunction s_add = ToolCallingTests.Add;

    [Fact]
    public void Create_NoToolsNoFormat_IsFreeText()
    {
        Assert.Equal(ResponseKind.Text, ResponsePlan.Create(null).Kind);
        Assert.Equal(ResponseKind.Text, ResponsePlan.Create(new ChatOptions { ResponseFormat = ChatResponseFormat.Text }).Kind);
    }

    [Theory]
    [InlineData(null, false, "CallsOrText")]
    [InlineData("auto", false, "CallsOrText")]
    [InlineData("none", false, "Text")]
    [InlineData("any", false, "Calls")]
    [InlineData("add", false, "Calls")]
    [InlineData(null, true, "CallsOrDocument")]
    [InlineData("none", true, "Document")]
    [InlineData("any", true, "Calls")]
    public void Create_ToolModeAndFormat_ChooseTheKind(string? mode, bool json, string kind)
    {
        var options = new ChatOptions
        {
            Tools = [s_add],
            ToolMode = mode switch { "auto" => ChatToolMode.Auto, "none" => ChatToolMode.None, "any" => ChatToolMode.RequireAny, null => null, _ => ChatToolMode.RequireSpecific(mode) },
            ResponseFormat = json ? ChatResponseFormat.Json : null,
        };

        var expected = Enum.Parse<ResponseKind>(kind);
        var plan = ResponsePlan.Create(options);

        Assert.Equal(expected, plan.Kind);
        Assert.Equal(expected is ResponseKind.Text or ResponseKind.Document ? 0 : 1, plan.OfferedTools.Count);
    }

    [Fact]
    public void Create_RequiredModeWithoutFunctions_AsksForNothing()
    {
        // FunctionInvokingChatClient drops the functions on its last round but keeps the mode
        var plan = ResponsePlan.Create(new ChatOptions { ToolMode = ChatToolMode.RequireAny, Tools = [] });

        Assert.Equal(ResponseKind.Text, plan.Kind);
    }

    [Fact]
    public void Create_TwoToolsWithOneName_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => ResponsePlan.Create(new ChatOptions { Tools = [s_add, s_add] }));

        Assert.Contains("'add'", e.Message);
    }

    [Fact]
    public void Create_JsonSchemaFormat_AsksForJsonInTheInstructions()
    {
        var plan = ResponsePlan.Create(new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema<StructuredOutputTests.Forecast>() });

        Assert.Equal(ResponseKind.Document, plan.Kind);
        Assert.Contains("\"degrees\"", plan.Instructions);
    }

    [Fact]
    public void ChatMessageMapping_CallsAndResults_BecomeToolTurns()
    {
        List<ChatMessage> messages =
        [
            new(ChatRole.User, "Add 2 and 3."),
            new(ChatRole.Assistant, [new TextContent("Sure."), new FunctionCallContent("c1", "add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 })]),
            new(ChatRole.Tool, [new FunctionResultContent("c1", 5), new FunctionResultContent("c2", null) { Exception = new InvalidOperationException("boom") }]),
        ];

        var turns = ChatMessageMapping.ToTemplateMessages(messages, "Be brief.");

        Assert.Equal(["system", "user", "assistant", "tool", "tool"], turns.Select(t => t.Role));
        var call = Assert.Single(turns[2].ToolCalls!);
        Assert.Equal(("c1", "add"), (call.Id, call.Name));
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse("""{"a":2,"b":3}"""), System.Text.Json.Nodes.JsonNode.Parse(call.ArgumentsJson)));
        Assert.Equal("Sure.", turns[2].Content);
        Assert.Equal(("c1", "add", "5"), (turns[3].ToolCallId, turns[3].ToolName, turns[3].Content));
        Assert.Equal("Error: boom", turns[4].Content);
    }

    [Fact]
    public void ChatMessageMapping_CallInAUserMessage_IsNotSupported()
    {
        var message = new ChatMessage(ChatRole.User, [new FunctionCallContent("c1", "add")]);

        Assert.Throws<NotSupportedException>(() => ChatMessageMapping.ToTemplateMessages([message], null));
    }

    [Fact]
    public void ReplyFilter_HermesTextThenCall_StreamsOnlyTheText()
    {
        var tokenizer = HipTokenizer.FromSentencePieceModel(Path.Combine(RepoPaths.Stories260K, "tok512.model"));
        var vocabulary = TokenVocabulary.For(tokenizer);
        var format = ToolCallFormat.Hermes;
        var grammar = format.CallsGrammar([("add", Grammar.FromJsonSchema(s_add.JsonSchema))], 1);
        var constraint = new GrammarConstraint(vocabulary, grammar, new GrammarConstraintOptions { TextMode = format.AutoTextMode, Trigger = format.Trigger });
        var filter = new ReplyFilter(ResponseKind.CallsOrText, constraint, format, []);
        var shown = new System.Text.StringBuilder();

        // one byte-fallback token per character (tok512's <0xNN> is id 3 + NN), as the engine would emit them
        foreach (char c in "Sure, <tool_call>{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}</tool_call>")
        {
            constraint.Accept(3 + c);
            shown.Append(filter.Append(c.ToString()));
        }
        shown.Append(filter.Flush());

        Assert.Equal("Sure, ", shown.ToString());
        Assert.True(constraint.IsComplete);
        Assert.Single(ToolCallParser.TryParse(format, constraint.GrammarText, ["add"])!);
    }

    [Fact]
    public void Create_SeveralCallsAllowed_BoundedByDefaultAndByTheOption()
    {
        Assert.Equal(HipChatClient.DefaultMaxToolCalls, ResponsePlan.Create(new ChatOptions { Tools = [s_add] }).MaxCalls);
        Assert.Equal(2, ResponsePlan.Create(new ChatOptions { Tools = [s_add], AdditionalProperties = new() { [HipChatClient.MaxToolCallsKey] = 2 } }).MaxCalls);
        Assert.Equal(1, ResponsePlan.Create(new ChatOptions { Tools = [s_add], AllowMultipleToolCalls = false, AdditionalProperties = new() { ["MAX_TOOL_CALLS"] = 5 } }).MaxCalls);
        Assert.Throws<ArgumentOutOfRangeException>(() => ResponsePlan.Create(new ChatOptions { Tools = [s_add], AdditionalProperties = new() { [HipChatClient.MaxToolCallsKey] = 0 } }));
        Assert.Throws<ArgumentException>(() => ResponsePlan.Create(new ChatOptions { Tools = [s_add], AdditionalProperties = new() { [HipChatClient.MaxToolCallsKey] = "many" } }));
    }
}
