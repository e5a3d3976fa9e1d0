namespace Hip.Inference;

/// <summary>Parts one after another, with whitespace allowed between them. Frame: A = next part, B = the whitespace gap (<see cref="GrammarNode.NextGap"/>).</summary>
internal sealed class SequenceNode(IReadOnlyList<GrammarNode> parts, int maxIndent) : GrammarNode
{
    public IReadOnlyList<GrammarNode> Parts { get; } = parts;

    public override void Step(in GrammarFrame frame, GrammarStack? rest, byte b, List<GrammarStack> results)
    {
        int next = frame.A;
        if (next > 0 && IsWhitespace(b))
        {
            AddGap(frame, rest, frame.B, b, maxIndent, inB: true, results);
            return;
        }
        // the last part ends the sequence: it resumes the parent directly
        var continuation = next == Parts.Count - 1 ? rest : new GrammarStack(new GrammarFrame(this, 0, next + 1), rest);
        Push(Parts[next], continuation, b, results);
    }
}
