namespace Hip.Inference;

/// <summary>How a <see cref="GrammarConstraint"/> treats text around the grammar and the tokens that end the output.</summary>
public sealed record GrammarConstraintOptions
{
    /// <summary>Whether free text may replace or precede the grammar's output; default <see cref="GrammarTextMode.None"/>.</summary>
    public GrammarTextMode TextMode { get; init; }

    /// <summary>
    /// The text that starts the grammar's output in a text mode (the grammar itself must start with it): <c>{</c>,
    /// <c>&lt;tool_call&gt;</c>, <c>[TOOL_CALLS]</c>.
    /// </summary>
    public string? Trigger { get; init; }

    /// <summary>Tokens that end the output (end of turn) besides the tokenizer's end-of-sequence; allowed once the output may end.</summary>
    public IReadOnlyCollection<int> EndTokenIds { get; init; } = [];

    /// <summary>Special tokens allowed in the output, each matched as the text given (Mistral's <c>[TOOL_CALLS]</c> token).</summary>
    public IReadOnlyDictionary<int, string> SpecialTokens { get; init; } = new Dictionary<int, string>();
}
