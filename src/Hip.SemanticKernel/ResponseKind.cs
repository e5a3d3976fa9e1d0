namespace Hip.SemanticKernel;

/// <summary>What a request's reply may be, from its ChatOptions (tools, tool mode, response format).</summary>
internal enum ResponseKind
{
    /// <summary>Free text.</summary>
    Text,
    /// <summary>A JSON document (ResponseFormat Json or a schema), streamed as text.</summary>
    Document,
    /// <summary>Tool calls only (ToolMode RequireAny / RequireSpecific).</summary>
    Calls,
    /// <summary>Tool calls or free text (ToolMode Auto).</summary>
    CallsOrText,
    /// <summary>Tool calls or a JSON document (ToolMode Auto with a JSON response format).</summary>
    CallsOrDocument,
}
