namespace Hip.Inference;

/// <summary>One turn handed to a <see cref="ChatTemplate"/>: a role (<see cref="SystemRole"/>, <see cref="UserRole"/>, <see cref="AssistantRole"/>) and its text.</summary>
public readonly record struct ChatTemplateMessage(string Role, string Content)
{
    public const string SystemRole = "system";
    public const string UserRole = "user";
    public const string AssistantRole = "assistant";

    public static ChatTemplateMessage System(string content) => new(SystemRole, content);
    public static ChatTemplateMessage User(string content) => new(UserRole, content);
    public static ChatTemplateMessage Assistant(string content) => new(AssistantRole, content);
}
