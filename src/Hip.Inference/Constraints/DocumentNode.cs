namespace Hip.Inference;

/// <summary>The root: leading whitespace, then the value. State 0 (A = the whitespace gap) before it, 1 after.</summary>
internal sealed class DocumentNode(GrammarNode value, int maxIndent) : GrammarNode
{
    public GrammarNode Value { get; } = value;

    public override void Step(in GrammarFrame frame, GrammarStack? rest, byte b, List<GrammarStack> results)
    {
        if (frame.State != 0)
            return;   // the document is complete
        if (IsWhitespace(b))
            AddGap(frame, rest, frame.A, b, maxIndent, inB: false, results);
        else
            Push(Value, new GrammarStack(new GrammarFrame(this, 1), rest), b, results);
    }

    public override bool CanEnd(in GrammarFrame frame) => frame.State == 1;
}
