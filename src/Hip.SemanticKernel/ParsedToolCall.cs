namespace Hip.SemanticKernel;

/// <summary>A call read from the model's reply: the tool's name and its arguments as JSON text.</summary>
internal sealed record ParsedToolCall(string Name, string ArgumentsJson);
