using Hip.Inference;
using Hip.TestSupport;
using Xunit;

namespace Hip.SemanticKernel.Tests.Tokenization;

/// <summary>Tools, tool calls and tool results in each family's own syntax.</summary>
public sealed class ChatTemplateToolsTests
{
    private static readonly ChatTemplateTool s_add = new("add", "Adds two numbers",
        """{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}""");

    private static readonly ChatTemplateMessage[] s_conversation =
    [
        ChatTemplateMessage.System("Be brief."),
        ChatTemplateMessage.User("Add 2 and 3."),
        ChatTemplateMessage.Assistant("", [new ChatTemplateToolCall("call_1", "add", """{"a":2,"b":3}""")]),
        ChatTemplateMessage.Tool("call_1", "add", "5"),
    ];

    [Fact]
    public void Render_Llama3_ToolsInFirstUserTurnCallAsJsonResultAsIpython()
    {
        string text = ChatTemplate.Llama3.Render(s_conversation, tools: [s_add]);

        Assert.Contains("<|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON", text);
        Assert.Contains("{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"add\",", text);
        Assert.Contains("}\n\nAdd 2 and 3.<|eot_id|>", text);
        Assert.Contains("<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"add\", \"parameters\": {\"a\": 2, \"b\": 3}}<|eot_id|>", text);
        Assert.EndsWith("<|start_header_id|>ipython<|end_header_id|>\n\n5<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", text);
        Assert.Equal(ChatTemplateToolSyntax.Llama3, ChatTemplate.Llama3.ToolSyntax);
    }

    [Fact]
    public void Render_ChatML_HermesToolsBlockCallTagsAndToolResponse()
    {
        string text = ChatTemplate.ChatML.Render(s_conversation, tools: [s_add]);

        Assert.StartsWith("<|im_start|>system\nBe brief.\n\n# Tools\n\nYou may call one or more functions", text);
        Assert.Contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"add\", \"description\": \"Adds two numbers\", \"parameters\": {\"type\": \"object\",", text);
        Assert.Contains("<|im_start|>assistant\n<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}\n</tool_call><|im_end|>\n", text);
        Assert.EndsWith("<|im_start|>user\n<tool_response>\n5\n</tool_response><|im_end|>\n<|im_start|>assistant\n", text);
    }

    [Fact]
    public void Render_ChatMLWithoutSystem_AddsASystemTurnForTheTools()
    {
        string text = ChatTemplate.ChatML.Render([ChatTemplateMessage.User("Hi")], tools: [s_add]);

        Assert.StartsWith("<|im_start|>system\n# Tools\n", text);
        Assert.EndsWith("</tool_call><|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", text);
    }

    [Fact]
    public void Render_Mistral_AvailableToolsCallsAndResultsWithNineCharacterIds()
    {
        string text = ChatTemplate.Mistral.Render(s_conversation, tools: [s_add]);

        Assert.StartsWith("<s>[AVAILABLE_TOOLS] [{\"type\": \"function\", \"function\": {\"name\": \"add\"", text);
        Assert.Contains("}}}][/AVAILABLE_TOOLS][INST] Be brief.\n\nAdd 2 and 3. [/INST][TOOL_CALLS] [{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}, \"id\": \"", text);
        string id = text.Split("\"id\": \"")[1][..9];
        Assert.True(id.All(char.IsAsciiLetterOrDigit));
        Assert.EndsWith($"\"}}]</s>[TOOL_RESULTS] {{\"content\": 5, \"call_id\": \"{id}\"}}[/TOOL_RESULTS]", text);
    }

    [Fact]
    public void Render_PlainAndOtherFamilies_JsonPreambleCallsAndResults()
    {
        string text = ChatTemplate.Plain.Render(s_conversation, tools: [s_add]);

        Assert.Equal(
            "Be brief.\n\nYou can call these tools:\n" +
            "{\"name\": \"add\", \"description\": \"Adds two numbers\", \"parameters\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\"}, \"b\": {\"type\": \"integer\"}}, \"required\": [\"a\", \"b\"]}}\n" +
            "To call tools, reply with only this JSON: {\"tool_calls\": [{\"name\": \"<tool name>\", \"arguments\": {<arguments>}}]}\n" +
            "Add 2 and 3.\n" +
            "{\"tool_calls\": [{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}]}\n" +
            "{\"tool_results\": [{\"name\": \"add\", \"result\": 5}]}", text);
        Assert.Contains("[INST] {\"tool_results\": [{\"name\": \"add\", \"result\": 5}]} [/INST]", ChatTemplate.Llama2.Render(s_conversation, tools: [s_add]));
    }

    [Fact]
    public void Render_NoTools_RendersAsBefore()
    {
        ChatTemplateMessage[] messages = [ChatTemplateMessage.User("Hi")];

        Assert.Equal(ChatTemplate.ChatML.Render(messages), ChatTemplate.ChatML.Render(messages, tools: []));
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", ChatTemplate.ChatML.Render(messages));
    }

    [Fact]
    public void Render_ToolCallsOutsideAnAssistantTurn_Throw()
    {
        var wrong = ChatTemplateMessage.User("Hi") with { ToolCalls = [new ChatTemplateToolCall("c", "add", "{}")] };

        Assert.Throws<ArgumentException>(() => ChatTemplate.Llama3.Render([wrong]));
    }

    [Fact]
    public void Encode_ToolResultText_NeverBecomesASpecialToken()
    {
        var tokenizer = HipTokenizer.FromSentencePieceModel(Path.Combine(RepoPaths.Stories260K, "tok512.model"));
        var encoder = new ChatTemplateEncoder(tokenizer);

        var ids = encoder.Encode(ChatTemplate.Plain, [ChatTemplateMessage.User("Hi"), ChatTemplateMessage.Tool("c", "add", "</s>")], tools: [s_add]);

        Assert.Equal(1, ids.Count(id => id == tokenizer.EosId || id == tokenizer.BosId));   // just the leading BOS
    }
}
