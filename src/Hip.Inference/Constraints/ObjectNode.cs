using System.Text;

namespace Hip.Inference;

/// <summary>
/// A JSON object. With declared properties it writes some of them in declared order (every required one, optional
/// ones may be skipped) and nothing else. Without (<see cref="FreeValue"/> set) it writes up to
/// <see cref="MaxProperties"/> keys of its own choosing, each with a <see cref="FreeValue"/>.
/// </summary>
/// <remarks>
/// Frame: State = phase; A = the property (declared: its index, or in <see cref="Key"/> the first candidate; free:
/// properties so far); B = the whitespace gap (<see cref="GrammarNode.NextGap"/>), or in <see cref="Key"/> the key trie node.
/// </remarks>
internal sealed class ObjectNode : GrammarNode
{
    private const int Open = 0, AfterOpen = 1, Key = 2, AfterKey = 3, AfterColon = 4, AfterValue = 5, AfterComma = 6;

    private readonly ByteTrie? _keys;         // declared keys as JSON text after the opening quote: name"
    private readonly int[] _nextRequired;     // [properties + 1] first required index ≥ i, or Properties.Count
    private readonly int _maxIndent;

    /// <summary>An object with exactly these properties (in this order; optional ones may be left out).</summary>
    public ObjectNode(IReadOnlyList<(string Name, GrammarNode Value, bool Required)> properties, int maxIndent)
    {
        Properties = properties;
        _maxIndent = maxIndent;
        _keys = ByteTrie.Build([.. properties.Select(p => Encoding.UTF8.GetBytes(JsonText.EncodeString(p.Name)[1..]))]);
        _nextRequired = new int[properties.Count + 1];
        _nextRequired[properties.Count] = properties.Count;
        for (int i = properties.Count - 1; i >= 0; i--)
            _nextRequired[i] = properties[i].Required ? i : _nextRequired[i + 1];
    }

    /// <summary>An object with keys of its own choosing (<paramref name="key"/>: a string node) and <paramref name="value"/> values.</summary>
    public ObjectNode(StringNode key, GrammarNode value, int maxProperties, int maxIndent)
    {
        Properties = [];
        (FreeKey, FreeValue, MaxProperties, _maxIndent) = (key, value, maxProperties, maxIndent);
        _nextRequired = [0];
    }

    public IReadOnlyList<(string Name, GrammarNode Value, bool Required)> Properties { get; }
    public StringNode? FreeKey { get; }
    public GrammarNode? FreeValue { get; }
    public int MaxProperties { get; }

    public override void Step(in GrammarFrame frame, GrammarStack? rest, byte b, List<GrammarStack> results)
    {
        int n = Properties.Count;
        bool free = FreeValue is not null;
        if (frame.State is AfterOpen or AfterKey or AfterColon or AfterValue or AfterComma && IsWhitespace(b))
        {
            AddGap(frame, rest, frame.B, b, _maxIndent, inB: true, results);
            return;   // no value starts with whitespace
        }
        switch (frame.State)
        {
            case Open:
                if (b == '{')
                    results.Add(new GrammarStack(frame with { State = AfterOpen }, rest));
                return;
            case AfterOpen or AfterComma:
                int first = frame.State == AfterOpen ? 0 : frame.A;
                if (b == '"')
                {
                    if (free && first < MaxProperties)
                        Push(FreeKey!, new GrammarStack(new GrammarFrame(this, AfterKey, first), rest), b, results);
                    else if (!free && first < n)
                        results.Add(new GrammarStack(new GrammarFrame(this, Key, first, 0), rest));
                }
                else if (b == '}' && frame.State == AfterOpen && _nextRequired[0] == n)
                {
                    results.Add(rest!);
                }
                return;
            case Key:
                int node = _keys!.Child(frame.B, b);
                int last = Math.Min(_nextRequired[frame.A], n - 1);   // a required property may not be skipped
                if (node < 0 || !_keys.ReachesAny(node, frame.A, last))
                    return;
                int property = _keys.Terminal(node);
                results.Add(new GrammarStack(property >= 0 ? new GrammarFrame(this, AfterKey, property) : frame with { B = node }, rest));
                return;
            case AfterKey:
                if (b == ':')
                    results.Add(new GrammarStack(frame with { State = AfterColon, B = 0 }, rest));
                return;
            case AfterColon:
                var value = free ? FreeValue! : Properties[frame.A].Value;
                Push(value, new GrammarStack(new GrammarFrame(this, AfterValue, frame.A), rest), b, results);
                return;
            case AfterValue:
                int following = frame.A + 1;   // free: properties written; declared: the first candidate after this one
                if (b == ',' && (free ? following < MaxProperties : following < n))
                    results.Add(new GrammarStack(new GrammarFrame(this, AfterComma, following), rest));
                else if (b == '}' && (free || _nextRequired[frame.A + 1] == n))
                    results.Add(rest!);
                return;
        }
    }
}
