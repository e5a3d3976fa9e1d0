using Hip.Inference;

namespace Hip.SemanticKernel;

/// <summary>
/// How a model of one chat-template family writes tool calls (<see cref="ChatTemplateToolSyntax"/>), as a grammar for
/// constrained decoding: the text that opens the calls (the trigger), whether text may come first, and how many
/// calls one reply may hold.
/// </summary>
internal sealed class ToolCallFormat
{
    /// <summary>The most calls a syntax that allows several takes; the request's own bound (max_tool_calls) is usually lower.</summary>
    public const int MaxCalls = 64;

    private ToolCallFormat(ChatTemplateToolSyntax syntax, string trigger, GrammarTextMode autoTextMode, int maxCalls, string[] markers) =>
        (Syntax, Trigger, AutoTextMode, MaxCallsPerReply, Markers) = (syntax, trigger, autoTextMode, maxCalls, markers);

    /// <summary>Families without a syntax of their own: the reply <c>{"tool_calls": [{"name": …, "arguments": {…}}]}</c>.</summary>
    public static ToolCallFormat Json { get; } = new(ChatTemplateToolSyntax.Json, "{", GrammarTextMode.Instead, MaxCalls, []);

    /// <summary>Llama 3.1: a reply that is one call <c>{"name": …, "parameters": {…}}</c> (the template allows one call per turn).</summary>
    public static ToolCallFormat Llama3 { get; } = new(ChatTemplateToolSyntax.Llama3, "{", GrammarTextMode.Instead, 1, []);

    /// <summary>Hermes / Qwen: <c>&lt;tool_call&gt;{"name": …, "arguments": {…}}&lt;/tool_call&gt;</c> blocks, possibly after some text.</summary>
    public static ToolCallFormat Hermes { get; } = new(ChatTemplateToolSyntax.Hermes, "<tool_call>", GrammarTextMode.Before, MaxCalls, ["<tool_call>", "</tool_call>"]);

    /// <summary>Mistral: <c>[TOOL_CALLS] [{"name": …, "arguments": {…}}]</c>.</summary>
    public static ToolCallFormat Mistral { get; } = new(ChatTemplateToolSyntax.Mistral, "[TOOL_CALLS]", GrammarTextMode.Instead, MaxCalls, ["[TOOL_CALLS]"]);

    public static ToolCallFormat For(ChatTemplateToolSyntax syntax) => syntax switch
    {
        ChatTemplateToolSyntax.Llama3 => Llama3,
        ChatTemplateToolSyntax.Hermes => Hermes,
        ChatTemplateToolSyntax.Mistral => Mistral,
        _ => Json,
    };

    public ChatTemplateToolSyntax Syntax { get; }

    /// <summary>The text that opens the calls.</summary>
    public string Trigger { get; }

    /// <summary>With ToolMode Auto: whether the model's text replaces the calls (decided at the start) or may precede them.</summary>
    public GrammarTextMode AutoTextMode { get; }

    /// <summary>Calls one reply may hold in this syntax.</summary>
    public int MaxCallsPerReply { get; }

    /// <summary>Spellings in the syntax that a model may have as special tokens.</summary>
    public IReadOnlyList<string> Markers { get; }

    /// <summary>The key of a call's arguments: "parameters" (Llama 3.1) or "arguments".</summary>
    public string ArgumentsKey => Syntax == ChatTemplateToolSyntax.Llama3 ? "parameters" : "arguments";

    /// <summary>The grammar of a reply of 1 to <paramref name="maxCalls"/> calls of <paramref name="tools"/> (each: name and argument grammar).</summary>
    public Grammar CallsGrammar(IReadOnlyList<(string Name, Grammar Arguments)> tools, int maxCalls)
    {
        int max = Math.Min(maxCalls, MaxCallsPerReply);
        var call = Grammar.Choice([.. tools.Select(t => Grammar.JsonObject(
            new KeyValuePair<string, Grammar>("name", Grammar.JsonString(t.Name)),
            new KeyValuePair<string, Grammar>(ArgumentsKey, t.Arguments)))]);
        return Syntax switch
        {
            ChatTemplateToolSyntax.Llama3 => call,
            ChatTemplateToolSyntax.Hermes => Grammar.Repeat(Grammar.Sequence(Grammar.Literal("<tool_call>"), call, Grammar.Literal("</tool_call>")), 1, max),
            ChatTemplateToolSyntax.Mistral => Grammar.Sequence(Grammar.Literal("[TOOL_CALLS]"), Grammar.JsonArray(call, 1, max)),
            _ => Grammar.JsonObject(new KeyValuePair<string, Grammar>("tool_calls", Grammar.JsonArray(call, 1, max))),
        };
    }
}
