using Hip.Inference;
using Xunit;

namespace Hip.SemanticKernel.Tests;

/// <summary>The call grammars of each syntax accept the calls their parser reads back.</summary>
public sealed class ToolCallParserTests
{
    private static readonly Grammar s_args = Grammar.FromJsonSchema("""{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}""");
    private static readonly (string, Grammar)[] s_tools = [("add", s_args), ("neg", s_args)];
    private static readonly string[] s_names = ["add", "neg"];

    [Theory]
    [InlineData(ChatTemplateToolSyntax.Json, """{"tool_calls": [{"name": "add", "arguments": {"a": 1}}, {"name": "neg", "arguments": {"a": 2}}]}""", 2)]
    [InlineData(ChatTemplateToolSyntax.Llama3, """{"name": "neg", "parameters": {"a": -4}}""", 1)]
    [InlineData(ChatTemplateToolSyntax.Hermes, "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1}}\n</tool_call>\n<tool_call>\n{\"name\": \"neg\", \"arguments\": {\"a\": 7}}\n</tool_call>", 2)]
    [InlineData(ChatTemplateToolSyntax.Mistral, """[TOOL_CALLS] [{"name": "add", "arguments": {"a": 1}}]""", 1)]
    public void CallsGrammarAndParser_AgreeOnEachSyntax(ChatTemplateToolSyntax syntax, string text, int count)
    {
        var format = ToolCallFormat.For(syntax);

        Assert.True(format.CallsGrammar(s_tools, ToolCallFormat.MaxCalls).Matches(text), text);
        var calls = ToolCallParser.TryParse(format, text, s_names);

        Assert.NotNull(calls);
        Assert.Equal(count, calls.Count);
        Assert.All(calls, c => Assert.StartsWith("{\"a\":", c.ArgumentsJson.Replace(" ", "")));
        Assert.True(format.Trigger.Length > 0 && text.TrimStart().StartsWith(format.Trigger, StringComparison.Ordinal));
    }

    [Fact]
    public void CallsGrammar_OneCallAllowed_RejectsASecond()
    {
        var grammar = ToolCallFormat.Json.CallsGrammar(s_tools, maxCalls: 1);

        Assert.False(grammar.IsPrefix("""{"tool_calls": [{"name": "add", "arguments": {"a": 1}},"""));
        Assert.False(grammar.IsPrefix("""{"tool_calls": [{"name": "mul"""));
        Assert.False(grammar.IsPrefix("""{"tool_calls": [{"name": "add", "arguments": {"b"""));
    }

    [Fact]
    public void TryParse_CutShortOrUnknownTool_ReturnsNull()
    {
        Assert.Null(ToolCallParser.TryParse(ToolCallFormat.Json, """{"tool_calls": [{"name": "add", "argu""", s_names));
        Assert.Null(ToolCallParser.TryParse(ToolCallFormat.Llama3, """{"name": "mul", "parameters": {"a": 1}}""", s_names));
        Assert.Null(ToolCallParser.TryParse(ToolCallFormat.Json, """{"city": "Paris"}""", s_names));   // a JSON answer, not a call
    }

    [Theory]
    [InlineData(ChatTemplateToolSyntax.Json, """{"tool_calls": [{"name": "add", "arguments": {"a": 1}}, {"name": "neg", "arguments": {"a": "}{"}}, {"name": "add", "argu""", 2)]
    [InlineData(ChatTemplateToolSyntax.Json, """{"tool_calls": [{"name": "add", "argu""", 0)]
    [InlineData(ChatTemplateToolSyntax.Mistral, """[TOOL_CALLS] [{"name": "neg", "arguments": {"a": 3}}, {"na""", 1)]
    [InlineData(ChatTemplateToolSyntax.Hermes, "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1}}\n</tool_call>\n<tool_call>\n{\"name\": \"ne", 1)]
    [InlineData(ChatTemplateToolSyntax.Llama3, """{"name": "neg", "parameters": {"a": """, 0)]
    public void CompleteCalls_CutInsideALaterCall_ReturnsTheWholeOnesBefore(ChatTemplateToolSyntax syntax, string text, int complete)
    {
        var format = ToolCallFormat.For(syntax);

        Assert.Null(ToolCallParser.TryParse(format, text, s_names));
        var calls = ToolCallParser.CompleteCalls(format, text, s_names);

        Assert.Equal(complete, calls.Count);
        Assert.All(calls, c => Assert.Contains(c.Name, s_names));
    }

    [Fact]
    public void CallsGrammar_TwoCallsAllowed_RejectsAThird()
    {
        const string two = """{"tool_calls": [{"name": "add", "arguments": {"a": 1}}, {"name": "neg", "arguments": {"a": 2}}""";
        var grammar = ToolCallFormat.Json.CallsGrammar(s_tools, maxCalls: 2);

        Assert.True(grammar.Matches(two + "]}"));
        Assert.False(grammar.IsPrefix(two + ","));
    }
}
