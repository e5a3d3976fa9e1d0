namespace Hip.Inference;

/// <summary>A tool call an assistant turn made: its id, the tool's name and the arguments as a JSON object.</summary>
public sealed record ChatTemplateToolCall(string Id, string Name, string ArgumentsJson);
