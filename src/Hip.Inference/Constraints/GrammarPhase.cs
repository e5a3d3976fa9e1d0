namespace Hip.Inference;

/// <summary>Where a <see cref="GrammarConstraint"/> is in the output.</summary>
public enum GrammarPhase
{
    /// <summary>Free text (in a text mode), not constrained.</summary>
    Text,
    /// <summary>The text so far may still turn out to be the trigger (hold it back from a stream).</summary>
    Pending,
    /// <summary>Inside the grammar's output.</summary>
    Grammar,
    /// <summary>The output is complete (the grammar's document, or an end token).</summary>
    Ended,
}
