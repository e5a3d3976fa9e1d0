namespace Hip.Inference;

/// <summary>
/// One element of a compiled <see cref="Grammar"/>, matched a byte at a time. Nodes are immutable and shared between
/// requests; the progress of one request through a node lives in a <see cref="GrammarFrame"/> on a <see cref="GrammarStack"/>.
/// </summary>
/// <remarks>
/// A node consumes a byte in one of four ways: it keeps the byte (a new top frame), finishes with it (the frame is
/// popped: <c>results.Add(rest)</c>), pushes a child that takes the byte (<see cref="Push"/>, the parent left in the
/// state it resumes in), or, when it could end here, ends and hands the byte to its parent (<see cref="Pop"/>).
/// </remarks>
internal abstract class GrammarNode
{
    /// <summary>The frame that starts matching this node, before its first byte.</summary>
    public virtual GrammarFrame Start() => new(this, 0);

    /// <summary>Feeds <paramref name="b"/> to <paramref name="frame"/>, the top of a stack whose rest is <paramref name="rest"/>; adds every stack that results.</summary>
    public abstract void Step(in GrammarFrame frame, GrammarStack? rest, byte b, List<GrammarStack> results);

    /// <summary>True when the node may end in <paramref name="frame"/> (what follows belongs to the parent).</summary>
    public virtual bool CanEnd(in GrammarFrame frame) => false;

    /// <summary>False for nodes that accept nothing (an unsatisfiable schema). Composite nodes are only built from satisfiable children.</summary>
    public virtual bool IsSatisfiable => true;

    public static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\n' or (byte)'\t';

    /// <summary>
    /// Whitespace between tokens, as llama.cpp's JSON grammars allow it: nothing, one space, or a newline followed by
    /// at most <paramref name="maxIndent"/> spaces or tabs. <paramref name="gap"/>: 0 none yet, 1 one space, 2 + k a
    /// newline and k indent characters. Returns the gap after <paramref name="b"/>, or −1 when it may not come.
    /// A negative <paramref name="maxIndent"/> allows no whitespace at all (compact JSON).
    /// </summary>
    public static int NextGap(int gap, byte b, int maxIndent) => maxIndent < 0 ? -1 : gap switch
    {
        0 => b == ' ' ? 1 : b == '\n' ? 2 : -1,
        1 => -1,
        _ => b is (byte)' ' or (byte)'\t' && gap - 2 < maxIndent ? gap + 1 : -1,
    };

    /// <summary>Adds the stack after whitespace <paramref name="b"/> in a gap counted by <paramref name="gap"/>, when allowed.</summary>
    protected static void AddGap(in GrammarFrame frame, GrammarStack? rest, int gap, byte b, int maxIndent, bool inB, List<GrammarStack> results)
    {
        int next = NextGap(gap, b, maxIndent);
        if (next >= 0)
            results.Add(new GrammarStack(inB ? frame with { B = next } : frame with { A = next }, rest));
    }

    /// <summary>Starts <paramref name="node"/> on <paramref name="b"/>, resuming <paramref name="continuation"/> when it ends.</summary>
    public static void Push(GrammarNode node, GrammarStack? continuation, byte b, List<GrammarStack> results)
    {
        if (node is ChoiceNode choice)
        {
            foreach (var option in choice.Options)
                Push(option, continuation, b, results);
            return;
        }
        var start = node.Start();
        node.Step(start, continuation, b, results);
    }

    /// <summary>Ends the current node and gives <paramref name="b"/> to the parent frame.</summary>
    public static void Pop(GrammarStack? rest, byte b, List<GrammarStack> results)
    {
        if (rest is not null)
            rest.Top.Node.Step(rest.Top, rest.Rest, b, results);
    }
}

/// <summary>A node's progress: <see cref="State"/> and counters whose meaning each node documents.</summary>
internal readonly record struct GrammarFrame(GrammarNode Node, int State, int A = 0, int B = 0, decimal Value = 0m);

/// <summary>An immutable stack of frames (top first); the parents are frames waiting in the state they resume in.</summary>
internal sealed class GrammarStack : IEquatable<GrammarStack>
{
    private readonly int _hash;

    public GrammarStack(GrammarFrame top, GrammarStack? rest)
    {
        Top = top;
        Rest = rest;
        _hash = HashCode.Combine(top, rest?._hash ?? 0);
    }

    public GrammarFrame Top { get; }
    public GrammarStack? Rest { get; }

    /// <summary>True when every frame may end: the matched text is a complete document.</summary>
    public bool CanEnd()
    {
        for (var s = this; s is not null; s = s.Rest)
            if (!s.Top.Node.CanEnd(s.Top))
                return false;
        return true;
    }

    public bool Equals(GrammarStack? other)
    {
        for (var (a, b) = (this, other); ; (a, b) = (a.Rest, b.Rest))
        {
            if (ReferenceEquals(a, b))
                return true;
            if (a is null || b is null || a._hash != b._hash || !a.Top.Equals(b.Top))
                return false;
        }
    }

    public override bool Equals(object? obj) => Equals(obj as GrammarStack);
    public override int GetHashCode() => _hash;
}
