namespace Hip.Inference;

/// <summary>
/// Where matching stands: every way the text so far can continue through the grammar (one stack each, usually one;
/// more while an anyOf has not yet been decided). Immutable: <see cref="Feed(byte)"/> returns the next state.
/// </summary>
internal readonly struct GrammarState
{
    /// <summary>Ways kept at most; dropping some only narrows what may follow, every kept way can still finish.</summary>
    public const int MaxAlternatives = 32;

    private readonly GrammarStack[]? _stacks;

    private GrammarState(GrammarStack[] stacks) => _stacks = stacks;

    /// <summary>The state before the first byte of <paramref name="root"/>.</summary>
    public static GrammarState Start(GrammarNode root) => new([new GrammarStack(root.Start(), null)]);

    /// <summary>True when the text so far is no prefix of any document.</summary>
    public bool IsDead => _stacks is null || _stacks.Length == 0;

    /// <summary>The stack when there is exactly one way.</summary>
    public GrammarStack? Single => _stacks is { Length: 1 } s ? s[0] : null;

    /// <summary>True when the text so far is a complete document.</summary>
    public bool CanEnd
    {
        get
        {
            if (_stacks is null)
                return false;
            foreach (var s in _stacks)
                if (s.CanEnd())
                    return true;
            return false;
        }
    }

    /// <summary>True when some byte may follow.</summary>
    public bool CanContinue
    {
        get
        {
            if (_stacks is null)
                return false;
            var results = new List<GrammarStack>();
            for (int b = 0; b < 256; b++)
            {
                foreach (var s in _stacks)
                {
                    s.Top.Node.Step(s.Top, s.Rest, (byte)b, results);
                    if (results.Count > 0)
                        return true;
                }
            }
            return false;
        }
    }

    public GrammarState Feed(byte b)
    {
        if (_stacks is null)
            return this;
        var results = new List<GrammarStack>(2);
        foreach (var s in _stacks)
            s.Top.Node.Step(s.Top, s.Rest, b, results);
        return new GrammarState(Distinct(results));
    }

    public GrammarState Feed(ReadOnlySpan<byte> bytes)
    {
        var state = this;
        foreach (byte b in bytes)
        {
            state = state.Feed(b);
            if (state.IsDead)
                break;
        }
        return state;
    }

    private static GrammarStack[] Distinct(List<GrammarStack> stacks)
    {
        if (stacks.Count <= 1)
            return stacks.Count == 0 ? [] : [stacks[0]];
        var kept = new List<GrammarStack>(stacks.Count);
        foreach (var s in stacks)
            if (!kept.Contains(s) && kept.Count < MaxAlternatives)
                kept.Add(s);
        return [.. kept];
    }
}
