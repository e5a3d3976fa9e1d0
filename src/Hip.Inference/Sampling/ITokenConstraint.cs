namespace Hip.Inference;

/// <summary>
/// Restricts which tokens may come next (grammar-constrained decoding: JSON, tool calls). Stateful and per request:
/// the engine calls <see cref="Apply"/> before each draw and <see cref="Accept"/> after it.
/// </summary>
public interface ITokenConstraint
{
    /// <summary>Sets the logit of every token that may not come next to negative infinity.</summary>
    void Apply(Span<float> logits);

    /// <summary>Advances past an emitted token.</summary>
    void Accept(int tokenId);

    /// <summary>True once the constrained text is complete: the engine then stops with finish reason Stop.</summary>
    bool IsComplete { get; }
}
