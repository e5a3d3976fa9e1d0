namespace Hip.Inference;

/// <summary>
/// One turn handed to a <see cref="ChatTemplate"/>: a role (<see cref="SystemRole"/>, <see cref="UserRole"/>,
/// <see cref="AssistantRole"/>, <see cref="ToolRole"/>) and its text. An assistant turn may carry the tool calls it
/// made; a tool turn carries one call's result, naming the call.
/// </summary>
public readonly record struct ChatTemplateMessage(string Role, string Content)
{
    public const string SystemRole = "system";
    public const string UserRole = "user";
    public const string AssistantRole = "assistant";
    /// <summary>The result of a tool call (rendered as the family's tool-result turn).</summary>
    public const string ToolRole = "tool";

    /// <summary>Tool calls an assistant turn made, after its text.</summary>
    public IReadOnlyList<ChatTemplateToolCall>? ToolCalls { get; init; }

    /// <summary>The call a tool turn answers (<see cref="ChatTemplateToolCall.Id"/>).</summary>
    public string? ToolCallId { get; init; }

    /// <summary>The tool a tool turn's result comes from.</summary>
    public string? ToolName { get; init; }

    public static ChatTemplateMessage System(string content) => new(SystemRole, content);
    public static ChatTemplateMessage User(string content) => new(UserRole, content);
    public static ChatTemplateMessage Assistant(string content) => new(AssistantRole, content);

    /// <summary>An assistant turn with tool calls (and possibly text before them).</summary>
    public static ChatTemplateMessage Assistant(string content, IReadOnlyList<ChatTemplateToolCall> toolCalls) =>
        new(AssistantRole, content) { ToolCalls = toolCalls };

    /// <summary>The result of call <paramref name="callId"/> to <paramref name="toolName"/>.</summary>
    public static ChatTemplateMessage Tool(string callId, string toolName, string result) =>
        new(ToolRole, result) { ToolCallId = callId, ToolName = toolName };
}
