namespace Hip.Inference;

/// <summary>Any one of <see cref="Options"/> (anyOf, oneOf, a type list); never on a stack: pushing it pushes every option.</summary>
internal sealed class ChoiceNode(IReadOnlyList<GrammarNode> options) : GrammarNode
{
    /// <summary>A node that accepts nothing.</summary>
    public static ChoiceNode Never { get; } = new([]);

    public IReadOnlyList<GrammarNode> Options { get; } = options;

    public override bool IsSatisfiable => Options.Count > 0;

    public override void Step(in GrammarFrame frame, GrammarStack? rest, byte b, List<GrammarStack> results)
    {
        foreach (var option in Options)
            Push(option, rest, b, results);
    }
}
