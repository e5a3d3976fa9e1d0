namespace Hip.Inference;

/// <summary>A JSON array of <see cref="MinItems"/> to <see cref="MaxItems"/> <see cref="Items"/>. Frame: A = items so far, B = the whitespace gap (<see cref="GrammarNode.NextGap"/>).</summary>
internal sealed class ArrayNode(GrammarNode items, int minItems, int maxItems, int maxIndent) : GrammarNode
{
    private const int Open = 0, AfterOpen = 1, AfterItem = 2, AfterComma = 3;

    public GrammarNode Items { get; } = items;
    public int MinItems { get; } = minItems;
    public int MaxItems { get; } = maxItems;

    public override void Step(in GrammarFrame frame, GrammarStack? rest, byte b, List<GrammarStack> results)
    {
        if (frame.State != Open && IsWhitespace(b))
        {
            AddGap(frame, rest, frame.B, b, maxIndent, inB: true, results);
            return;
        }
        switch (frame.State)
        {
            case Open:
                if (b == '[')
                    results.Add(new GrammarStack(frame with { State = AfterOpen }, rest));
                return;
            case AfterOpen:
                if (b == ']')
                {
                    if (MinItems == 0)
                        results.Add(rest!);
                }
                else if (MaxItems > 0)
                {
                    Push(Items, new GrammarStack(new GrammarFrame(this, AfterItem, 1), rest), b, results);
                }
                return;
            case AfterItem:
                if (b == ',' && frame.A < MaxItems)
                    results.Add(new GrammarStack(new GrammarFrame(this, AfterComma, frame.A), rest));
                else if (b == ']' && frame.A >= MinItems)
                    results.Add(rest!);
                return;
            case AfterComma:
                Push(Items, new GrammarStack(new GrammarFrame(this, AfterItem, frame.A + 1), rest), b, results);
                return;
        }
    }
}
