using System.Text;

namespace Hip.Inference;

/// <summary>
/// Grammar-constrained decoding for one request: before each draw it allows exactly the tokens that keep the output a
/// prefix of a document of the <see cref="Grammar"/> (or, in a text mode, of free text or the trigger that starts the
/// grammar), and reports <see cref="IsComplete"/> once the document can neither go on nor needs more. Where the
/// document could end but also continue (a Hermes reply after a call), the end tokens are allowed too.
/// </summary>
/// <remarks>
/// A step walks the vocabulary's token trie from the current state, skipping every subtree whose prefix the grammar
/// rejects; inside a plain JSON string the tokens that cannot leave it are allowed by length alone and only the rest
/// are walked, so a step stays well under a millisecond on a 32k vocabulary.
/// </remarks>
public sealed class GrammarConstraint : ITokenConstraint
{
    private enum Watch { Watching, Diverged, Triggered }

    private readonly TokenVocabulary _vocabulary;
    private readonly DocumentNode _document;
    private readonly GrammarConstraintOptions _options;
    private readonly HashSet<int> _endTokens;
    private readonly byte[] _trigger;
    private readonly int[] _failure;              // KMP failure function of the trigger
    private readonly int[] _triggerTokens;        // tokens that can complete the trigger: they hold its last byte
    private readonly int _maxIndent;
    private readonly bool[] _allowed;             // [vocab] scratch for Apply
    private readonly List<byte> _output = [];     // the grammar's text so far
    private GrammarPhase _phase;
    private bool _watching;                       // a text phase still looking for the trigger
    private int _matched;                         // trigger bytes matched so far
    private int _leadingWhitespace;               // Instead mode: whitespace before the trigger
    private GrammarState _state;

    public GrammarConstraint(TokenVocabulary vocabulary, Grammar grammar, GrammarConstraintOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(grammar);
        if (!grammar.IsSatisfiable)
            throw new ArgumentException("The grammar accepts nothing.", nameof(grammar));
        _vocabulary = vocabulary;
        _options = options ?? new GrammarConstraintOptions();
        _maxIndent = grammar.DocumentIndent;
        _document = new DocumentNode(grammar.Node, _maxIndent);
        _endTokens = [.. _options.EndTokenIds, vocabulary.EndOfSequenceId];
        _allowed = new bool[vocabulary.Count];
        _trigger = Encoding.UTF8.GetBytes(_options.Trigger ?? "");
        _failure = Failure(_trigger);
        if (_options.TextMode == GrammarTextMode.None)
        {
            _phase = GrammarPhase.Grammar;
            _state = GrammarState.Start(_document);
            _triggerTokens = [];
            StartedGrammar = true;
        }
        else
        {
            if (_trigger.Length == 0)
                throw new ArgumentException($"Text mode {_options.TextMode} needs a trigger.", nameof(options));
            if (GrammarState.Start(_document).Feed(_trigger).IsDead)
                throw new ArgumentException($"The grammar does not start with the trigger '{_options.Trigger}'.", nameof(options));
            _phase = GrammarPhase.Text;
            _watching = true;
            byte last = _trigger[^1];
            _triggerTokens = [.. Enumerable.Range(0, vocabulary.Count).Where(id => vocabulary.GetBytes(id).Contains(last))];
        }
    }

    /// <summary>Where the output stands.</summary>
    public GrammarPhase Phase =>
        _phase == GrammarPhase.Text && _watching && (_options.TextMode == GrammarTextMode.Instead || _matched > 0) ? GrammarPhase.Pending : _phase;

    /// <summary>True once the output entered the grammar (at once without a text mode, at the trigger with one).</summary>
    public bool StartedGrammar { get; private set; }

    /// <summary>The grammar's output so far (from the trigger on, in a text mode), as text.</summary>
    public string GrammarText => Encoding.UTF8.GetString([.. _output]);

    public bool IsComplete => _phase == GrammarPhase.Ended;

    public void Apply(Span<float> logits)
    {
        switch (_phase)
        {
            case GrammarPhase.Text:
                if (_watching)
                    MaskTriggers(logits);
                return;
            case GrammarPhase.Ended:
                Array.Clear(_allowed);
                foreach (int id in _endTokens)
                    Allow(id);
                break;
            default:
                ComputeAllowed();
                break;
        }
        for (int id = 0; id < logits.Length; id++)
            if (id >= _allowed.Length || !_allowed[id])
                logits[id] = float.NegativeInfinity;
    }

    public void Accept(int tokenId)
    {
        if (_phase == GrammarPhase.Ended)
            return;
        if (_endTokens.Contains(tokenId))
        {
            if (_phase == GrammarPhase.Grammar && !_state.CanEnd)
                throw new InvalidOperationException($"Token {tokenId} ends the output, but the grammar's document is not complete.");
            _phase = GrammarPhase.Ended;
            return;
        }
        var bytes = _options.SpecialTokens.TryGetValue(tokenId, out var spelling) ? Encoding.UTF8.GetBytes(spelling) : _vocabulary.GetBytes(tokenId).ToArray();
        if (_phase == GrammarPhase.Text)
        {
            if (!_watching)
                return;
            for (int i = 0; i < bytes.Length; i++)
            {
                var watch = Advance(ref _matched, ref _leadingWhitespace, bytes[i]);
                if (watch == Watch.Diverged)
                {
                    _watching = false;
                    return;
                }
                if (watch == Watch.Triggered)
                {
                    _phase = GrammarPhase.Grammar;
                    _state = GrammarState.Start(_document);
                    StartedGrammar = true;
                    FeedGrammar(TriggerText(_leadingWhitespace), tokenId);
                    FeedGrammar(bytes.AsSpan(i + 1), tokenId);
                    return;
                }
            }
            return;
        }
        if (_vocabulary.IsSpecial(tokenId) && spelling is null)
            throw new InvalidOperationException($"Special token {tokenId} is not allowed inside the grammar's output.");
        FeedGrammar(bytes, tokenId);
    }

    private void FeedGrammar(ReadOnlySpan<byte> bytes, int tokenId)
    {
        if (bytes.IsEmpty)
            return;
        _state = _state.Feed(bytes);
        if (_state.IsDead)
            throw new InvalidOperationException(
                $"Token {tokenId} ('{Encoding.UTF8.GetString(bytes)}') does not continue the grammar after '{GrammarText}': it was not among the allowed tokens.");
        _output.AddRange(bytes);
        if (_state.CanEnd && !_state.CanContinue)
            _phase = GrammarPhase.Ended;
    }

    /// <summary>Marks every token the grammar allows next.</summary>
    private void ComputeAllowed()
    {
        Array.Clear(_allowed);
        var single = _state.Single;
        if (single?.Top.Node is StringNode text && text.PlainRemaining(single.Top) is int remaining and >= 0)
        {
            // inside plain string content: tokens that cannot close the string only need to fit the length
            var counts = _vocabulary.PlainCountUpTo;
            int plain = counts.Length == 0 ? 0 : counts[Math.Min(remaining, counts.Length - 1)];
            foreach (int id in _vocabulary.PlainByLength.AsSpan(0, plain))
                _allowed[id] = true;
            Visit(_vocabulary.NonPlain, 0, _state);
        }
        else
        {
            Visit(_vocabulary.All, 0, _state);
        }
        foreach (var (id, spelling) in _options.SpecialTokens)
            if (!_state.Feed(Encoding.UTF8.GetBytes(spelling)).IsDead)
                Allow(id);
        if (_state.CanEnd)
            foreach (int id in _endTokens)
                Allow(id);
    }

    private void Visit(TokenTrie trie, int node, GrammarState state)
    {
        foreach (int id in trie.TokensAt(node))
            _allowed[id] = true;
        for (int edge = trie.EdgeStart(node), end = trie.EdgeEnd(node); edge < end; edge++)
        {
            var next = state.Feed(trie.EdgeByte(edge));
            if (!next.IsDead)
                Visit(trie, trie.EdgeTarget(edge), next);
        }
    }

    /// <summary>In text, forbids the tokens that would complete the trigger and go on with something the grammar rejects.</summary>
    private void MaskTriggers(Span<float> logits)
    {
        foreach (int id in _triggerTokens)
            if (id < logits.Length && !TriggerTokenFits(_vocabulary.GetBytes(id)))
                logits[id] = float.NegativeInfinity;
        foreach (var (id, spelling) in _options.SpecialTokens)
            if (id < logits.Length && !TriggerTokenFits(Encoding.UTF8.GetBytes(spelling)))
                logits[id] = float.NegativeInfinity;
    }

    private bool TriggerTokenFits(ReadOnlySpan<byte> bytes)
    {
        int matched = _matched, whitespace = _leadingWhitespace;
        for (int i = 0; i < bytes.Length; i++)
        {
            var watch = Advance(ref matched, ref whitespace, bytes[i]);
            if (watch == Watch.Diverged)
                return true;
            if (watch == Watch.Triggered)
                return !GrammarState.Start(_document).Feed(TriggerText(whitespace)).Feed(bytes[(i + 1)..]).IsDead;
        }
        return true;
    }

    /// <summary>One byte of text through the trigger watcher.</summary>
    private Watch Advance(ref int matched, ref int whitespace, byte b)
    {
        if (_options.TextMode == GrammarTextMode.Instead)
        {
            // the trigger must open the output, after at most a little whitespace
            if (matched == 0 && GrammarNode.IsWhitespace(b))
            {
                whitespace = GrammarNode.NextGap(whitespace, b, _maxIndent);
                return whitespace < 0 ? Watch.Diverged : Watch.Watching;
            }
            if (b != _trigger[matched])
                return Watch.Diverged;
            return ++matched == _trigger.Length ? Watch.Triggered : Watch.Watching;
        }
        while (matched > 0 && b != _trigger[matched])
            matched = _failure[matched - 1];
        if (b == _trigger[matched])
            matched++;
        return matched == _trigger.Length ? Watch.Triggered : Watch.Watching;
    }

    /// <summary>The text the grammar starts with once triggered: the leading whitespace (Instead mode, as its gap state says) and the trigger.</summary>
    private byte[] TriggerText(int gap)
    {
        if (_options.TextMode != GrammarTextMode.Instead || gap == 0)
            return _trigger;
        byte[] whitespace = gap == 1 ? [(byte)' '] : [(byte)'\n', .. Enumerable.Repeat((byte)' ', gap - 2)];
        return [.. whitespace, .. _trigger];
    }

    private void Allow(int id)
    {
        if ((uint)id < (uint)_allowed.Length)
            _allowed[id] = true;
    }

    private static int[] Failure(byte[] pattern)
    {
        var failure = new int[pattern.Length];
        for (int i = 1, k = 0; i < pattern.Length; i++)
        {
            while (k > 0 && pattern[i] != pattern[k])
                k = failure[k - 1];
            if (pattern[i] == pattern[k])
                k++;
            failure[i] = k;
        }
        return failure;
    }
}
