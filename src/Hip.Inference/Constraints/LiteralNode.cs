namespace Hip.Inference;

/// <summary>
/// One of a fixed set of texts: enum and const values (as compact JSON), true/false/null, or template text such as
/// <c>&lt;tool_call&gt;</c>. Frame: A = trie node.
/// </summary>
internal sealed class LiteralNode : GrammarNode
{
    private readonly ByteTrie _trie;

    public LiteralNode(IReadOnlyList<byte[]> texts)
    {
        if (texts.Count == 0 || texts.Any(t => t.Length == 0))
            throw new ArgumentException("A literal needs at least one non-empty text.", nameof(texts));
        Texts = texts;
        _trie = ByteTrie.Build(texts);
    }

    public IReadOnlyList<byte[]> Texts { get; }

    public override void Step(in GrammarFrame frame, GrammarStack? rest, byte b, List<GrammarStack> results)
    {
        int next = _trie.Child(frame.A, b);
        if (next >= 0)
        {
            if (_trie.HasChildren(next))
                results.Add(new GrammarStack(frame with { A = next }, rest));
            else
                results.Add(rest!);   // the text is complete and nothing can extend it
        }
        else if (_trie.Terminal(frame.A) >= 0)
        {
            Pop(rest, b, results);    // a complete text that could go on (enum [1, 12]) ends here
        }
    }

    public override bool CanEnd(in GrammarFrame frame) => _trie.Terminal(frame.A) >= 0;
}
