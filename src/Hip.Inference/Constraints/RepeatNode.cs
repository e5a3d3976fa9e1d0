namespace Hip.Inference;

/// <summary>
/// <see cref="Item"/> <see cref="Min"/> to <see cref="Max"/> times, whitespace allowed between (tool-call blocks
/// such as <c>&lt;tool_call&gt;…&lt;/tool_call&gt;</c>). Frame: A = items so far, B = the whitespace gap (<see cref="GrammarNode.NextGap"/>).
/// </summary>
internal sealed class RepeatNode(GrammarNode item, int min, int max, int maxIndent) : GrammarNode
{
    public GrammarNode Item { get; } = item;
    public int Min { get; } = min;
    public int Max { get; } = max;

    public override void Step(in GrammarFrame frame, GrammarStack? rest, byte b, List<GrammarStack> results)
    {
        if (frame.A > 0 && frame.A < Max && IsWhitespace(b))   // whitespace only leads to another item
            AddGap(frame, rest, frame.B, b, maxIndent, inB: true, results);
        if (frame.A < Max)
            Push(Item, new GrammarStack(new GrammarFrame(this, 0, frame.A + 1), rest), b, results);
        if (frame.A >= Min)
            Pop(rest, b, results);
    }

    public override bool CanEnd(in GrammarFrame frame) => frame.A >= Min;
}
