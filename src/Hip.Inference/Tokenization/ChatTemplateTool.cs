namespace Hip.Inference;

/// <summary>A tool offered to the model: name, description and the JSON schema of its arguments.</summary>
public sealed record ChatTemplateTool(string Name, string? Description, string ParametersJson);
