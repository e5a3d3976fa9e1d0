namespace Hip.Inference;

/// <summary>How a chat-template family's models write tool calls (see <see cref="ChatTemplate.ToolSyntax"/>).</summary>
public enum ChatTemplateToolSyntax
{
    /// <summary>
    /// Families without a tool format of their own: a system preamble lists the tools and the model answers
    /// <c>{"tool_calls": [{"name": …, "arguments": {…}}]}</c>; results come back as user turns.
    /// </summary>
    Json,
    /// <summary>Llama 3.1: a reply that is one JSON object <c>{"name": …, "parameters": {…}}</c>; results in the ipython role.</summary>
    Llama3,
    /// <summary>Hermes / Qwen (ChatML): <c>&lt;tool_call&gt;{"name": …, "arguments": {…}}&lt;/tool_call&gt;</c> blocks; results in <c>&lt;tool_response&gt;</c>.</summary>
    Hermes,
    /// <summary>Mistral: <c>[TOOL_CALLS] [{"name": …, "arguments": {…}}]</c>; results in <c>[TOOL_RESULTS]</c>.</summary>
    Mistral,
}
