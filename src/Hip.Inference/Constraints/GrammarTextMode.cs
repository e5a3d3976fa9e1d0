namespace Hip.Inference;

/// <summary>Whether free text may stand in for, or come before, the grammar's output.</summary>
public enum GrammarTextMode
{
    /// <summary>The whole output is the grammar's (structured output, a required tool call).</summary>
    None,
    /// <summary>
    /// The output is either the grammar's, when it starts (after a little whitespace) with the trigger, or free text
    /// otherwise (Llama 3 tool calls: a reply that opens with <c>{</c> is a call).
    /// </summary>
    Instead,
    /// <summary>Free text until the trigger appears; from the trigger on the output is the grammar's (Hermes <c>&lt;tool_call&gt;</c>).</summary>
    Before,
}
