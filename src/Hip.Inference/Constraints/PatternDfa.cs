namespace Hip.Inference;

/// <summary>
/// A JSON Schema <c>pattern</c> (ECMA-262 subset) as a deterministic automaton over characters: ASCII characters are
/// symbols 0–127, every non-ASCII character is <see cref="NonAscii"/>. Supported: literals, escapes (\d \w \s, their
/// negations, \. \xHH \uHHHH, …), classes [a-z] [^…], <c>.</c>, groups (…) (?:…) (?&lt;name&gt;…), alternation,
/// quantifiers ? * + {n} {n,} {n,m} (lazy forms too), ^ at the start and $ at the end (unanchored patterns match
/// anywhere, as JSON Schema says). Anything else is a <see cref="NotSupportedException"/>.
/// </summary>
internal sealed class PatternDfa
{
    public const int NonAscii = 128;
    private const int Symbols = 129;
    private const int MaxNfaStates = 4000, MaxDfaStates = 2000;

    private readonly int[] _next;          // [states * Symbols] next state or −1
    private readonly bool[] _accepting;    // [states]
    private readonly int[] _minToAccept;   // [states] fewest characters to an accepting state

    private PatternDfa(int[] next, bool[] accepting, int[] minToAccept) => (_next, _accepting, _minToAccept) = (next, accepting, minToAccept);

    public string Source { get; private init; } = "";

    /// <summary>The state after <paramref name="symbol"/> (a byte below 128 or <see cref="NonAscii"/>), or −1.</summary>
    public int Next(int state, int symbol) => _next[state * Symbols + symbol];

    public bool IsAccepting(int state) => _accepting[state];

    public int MinToAccept(int state) => _minToAccept[state];

    /// <summary>Compiles <paramref name="pattern"/>; <see cref="NotSupportedException"/> names what is outside the subset.</summary>
    public static PatternDfa Compile(string pattern)
    {
        var parser = new Parser(pattern);
        var regex = parser.ParseWhole();
        var nfa = new Nfa();
        var (start, end) = nfa.Build(regex);
        return Determinize(nfa, start, end, pattern);
    }

    private static PatternDfa Determinize(Nfa nfa, int start, int end, string pattern)
    {
        var ids = new Dictionary<string, int>();
        var sets = new List<int[]>();
        var next = new List<int>();
        int Intern(SortedSet<int> set)
        {
            string key = string.Join(',', set);
            if (ids.TryGetValue(key, out int id))
                return id;
            if (sets.Count >= MaxDfaStates)
                throw new NotSupportedException($"The pattern '{pattern}' is too complex (over {MaxDfaStates} automaton states).");
            id = sets.Count;
            ids[key] = id;
            sets.Add([.. set]);
            return id;
        }
        Intern(nfa.Closure([start]));
        for (int s = 0; s < sets.Count; s++)
        {
            for (int symbol = 0; symbol < Symbols; symbol++)
            {
                var moved = new List<int>();
                foreach (int q in sets[s])
                    if (nfa.Edges[q] is (bool[] set, int target) && set[symbol])
                        moved.Add(target);
                next.Add(moved.Count == 0 ? -1 : Intern(nfa.Closure(moved)));
            }
        }

        int states = sets.Count;
        var accepting = new bool[states];
        for (int s = 0; s < states; s++)
            accepting[s] = Array.IndexOf(sets[s], end) >= 0;
        // fewest steps to acceptance: breadth-first from the accepting states over reversed edges
        var distance = new int[states];
        Array.Fill(distance, int.MaxValue);
        var queue = new Queue<int>();
        for (int s = 0; s < states; s++)
            if (accepting[s])
            {
                distance[s] = 0;
                queue.Enqueue(s);
            }
        var reverse = new List<int>[states];
        for (int s = 0; s < states; s++)
            reverse[s] = [];
        for (int s = 0; s < states; s++)
            for (int symbol = 0; symbol < Symbols; symbol++)
                if (next[s * Symbols + symbol] is int t and >= 0)
                    reverse[t].Add(s);
        while (queue.Count > 0)
        {
            int t = queue.Dequeue();
            foreach (int s in reverse[t])
                if (distance[s] == int.MaxValue)
                {
                    distance[s] = distance[t] + 1;
                    queue.Enqueue(s);
                }
        }
        // states that can never accept are dead ends: drop the edges into them
        var table = next.ToArray();
        for (int i = 0; i < table.Length; i++)
            if (table[i] >= 0 && distance[table[i]] == int.MaxValue)
                table[i] = -1;
        if (distance[0] == int.MaxValue)
            throw new ArgumentException($"The pattern '{pattern}' matches no string.");
        return new PatternDfa(table, accepting, distance) { Source = pattern };
    }

    // regular expression syntax tree
    private abstract record Rx;
    private sealed record RxSet(bool[] Symbols) : Rx;
    private sealed record RxConcat(List<Rx> Items) : Rx;
    private sealed record RxAlt(List<Rx> Options) : Rx;
    private sealed record RxRepeat(Rx Body, int Min, int Max) : Rx;   // Max −1: unbounded

    private sealed class Parser(string pattern)
    {
        private int _at;

        public Rx ParseWhole()
        {
            string body = pattern;
            bool anchoredStart = body.StartsWith('^');
            bool anchoredEnd = body.EndsWith('$') && !EndsEscaped(body);
            int from = anchoredStart ? 1 : 0, to = body.Length - (anchoredEnd ? 1 : 0);
            var inner = new Parser(body[from..Math.Max(from, to)]);
            var regex = inner.ParseAlternation();
            if (inner._at < inner.Text.Length)
                throw Unsupported($"an unmatched '{inner.Text[inner._at]}' at {from + inner._at}");
            var anything = new RxRepeat(new RxSet(Fill(true)), 0, -1);
            var items = new List<Rx>();
            if (!anchoredStart)
                items.Add(anything);
            items.Add(regex);
            if (!anchoredEnd)
                items.Add(anything);
            return new RxConcat(items);
        }

        private string Text => pattern;

        private static bool EndsEscaped(string s)
        {
            int backslashes = 0;
            for (int i = s.Length - 2; i >= 0 && s[i] == '\\'; i--)
                backslashes++;
            return backslashes % 2 == 1;
        }

        private NotSupportedException Unsupported(string what) =>
            new($"The pattern '{pattern}' uses {what}, which constrained decoding does not support.");

        private Rx ParseAlternation()
        {
            var options = new List<Rx> { ParseConcatenation() };
            while (_at < pattern.Length && pattern[_at] == '|')
            {
                _at++;
                options.Add(ParseConcatenation());
            }
            return options.Count == 1 ? options[0] : new RxAlt(options);
        }

        private Rx ParseConcatenation()
        {
            var items = new List<Rx>();
            while (_at < pattern.Length && pattern[_at] is not ('|' or ')'))
                items.Add(ParseQuantified());
            return new RxConcat(items);
        }

        private Rx ParseQuantified()
        {
            var atom = ParseAtom();
            while (_at < pattern.Length)
            {
                char c = pattern[_at];
                int min, max;
                if (c == '*') { (min, max) = (0, -1); _at++; }
                else if (c == '+') { (min, max) = (1, -1); _at++; }
                else if (c == '?') { (min, max) = (0, 1); _at++; }
                else if (c == '{' && TryParseCount(out min, out max)) { }
                else break;
                if (_at < pattern.Length && pattern[_at] == '?')
                    _at++;   // lazy: the same strings
                atom = new RxRepeat(atom, min, max);
            }
            return atom;
        }

        private bool TryParseCount(out int min, out int max)
        {
            (min, max) = (0, 0);
            int close = pattern.IndexOf('}', _at);
            if (close < 0)
                return false;
            string[] parts = pattern[(_at + 1)..close].Split(',');
            if (parts.Length is < 1 or > 2 || !int.TryParse(parts[0], out min) || min > 1000)
                return false;
            if (parts.Length == 1)
                max = min;
            else if (parts[1].Length == 0)
                max = -1;
            else if (!int.TryParse(parts[1], out max) || max < min || max > 1000)
                return false;
            _at = close + 1;
            return true;
        }

        private Rx ParseAtom()
        {
            char c = pattern[_at++];
            switch (c)
            {
                case '(':
                    if (_at < pattern.Length && pattern[_at] == '?')
                    {
                        if (pattern.AsSpan(_at).StartsWith("?:"))
                            _at += 2;
                        else if (pattern.AsSpan(_at).StartsWith("?<") && _at + 2 < pattern.Length && pattern[_at + 2] is not ('=' or '!'))
                            _at = pattern.IndexOf('>', _at) + 1;
                        else
                            throw Unsupported("a lookaround");
                    }
                    var group = ParseAlternation();
                    if (_at >= pattern.Length || pattern[_at] != ')')
                        throw Unsupported("an unclosed group");
                    _at++;
                    return group;
                case '[':
                    return ParseClass();
                case '.':
                    var dot = Fill(true);
                    dot['\n'] = dot['\r'] = false;
                    return new RxSet(dot);
                case '\\':
                    return new RxSet(ParseEscape(inClass: false, out _));
                case '^' or '$':
                    throw Unsupported($"'{c}' inside the pattern (only at its start and end)");
                case '*' or '+' or '?':
                    throw Unsupported($"a quantifier '{c}' with nothing before it");
                default:
                    return new RxSet(Single(c));
            }
        }

        private RxSet ParseClass()
        {
            bool negated = _at < pattern.Length && pattern[_at] == '^';
            if (negated)
                _at++;
            var set = Fill(false);
            bool mentionsSpace = false, first = true;
            while (true)
            {
                if (_at >= pattern.Length)
                    throw Unsupported("an unclosed character class");
                char c = pattern[_at];
                if (c == ']' && !first)
                {
                    _at++;
                    break;
                }
                first = false;
                _at++;
                bool[] item;
                int low = -1;
                if (c == '\\')
                {
                    item = ParseEscape(inClass: true, out low);
                    mentionsSpace |= _at >= 2 && pattern[_at - 1] is 's' or 'S';
                }
                else
                {
                    item = Single(c);
                    low = c;
                }
                // a range a-z
                if (low >= 0 && _at + 1 < pattern.Length && pattern[_at] == '-' && pattern[_at + 1] != ']')
                {
                    _at++;
                    char h = pattern[_at++];
                    int high = h;
                    if (h == '\\')
                        ParseEscape(inClass: true, out high);
                    if (high < 0 || high < low)
                        throw Unsupported("an invalid class range");
                    if (high >= 128)
                        throw Unsupported("a non-ASCII character");
                    for (int s = low; s <= high; s++)
                        set[s] = true;
                    continue;
                }
                for (int s = 0; s < Symbols; s++)
                    set[s] |= item[s];
            }
            if (!negated)
                return new RxSet(set);
            var complement = Fill(false);
            for (int s = 0; s < 128; s++)
                complement[s] = !set[s];
            complement[NonAscii] = !mentionsSpace && !set[NonAscii];   // [^\s] would have to exclude Unicode spaces
            return new RxSet(complement);
        }

        /// <summary>Reads an escape after the backslash; <paramref name="single"/> is its character when it stands for one, else −1.</summary>
        private bool[] ParseEscape(bool inClass, out int single)
        {
            if (_at >= pattern.Length)
                throw Unsupported("a trailing backslash");
            char c = pattern[_at++];
            single = -1;
            bool[] Class(Func<int, bool> member, bool nonAscii)
            {
                var set = Fill(false);
                for (int s = 0; s < 128; s++)
                    set[s] = member(s);
                set[NonAscii] = nonAscii;
                return set;
            }
            static bool Digit(int s) => s is >= '0' and <= '9';
            static bool Word(int s) => s is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_';
            static bool Space(int s) => s is ' ' or '\t' or '\n' or '\r' or '\f' or '\v';
            switch (c)
            {
                case 'd': return Class(Digit, false);
                case 'D': return Class(s => !Digit(s), true);
                case 'w': return Class(Word, false);
                case 'W': return Class(s => !Word(s), true);
                case 's': return Class(Space, false);
                case 'S': return Class(s => !Space(s), false);
                case 'n': single = '\n'; break;
                case 'r': single = '\r'; break;
                case 't': single = '\t'; break;
                case 'f': single = '\f'; break;
                case 'v': single = '\v'; break;
                case '0': single = 0; break;
                case 'x': single = ParseHex(2); break;
                case 'u': single = ParseHex(4); break;
                case 'b' when inClass: single = '\b'; break;
                default:
                    if (char.IsAsciiLetterOrDigit(c))
                        throw Unsupported($"the escape '\\{c}'");
                    single = c;
                    break;
            }
            return Single((char)single);
        }

        private int ParseHex(int digits)
        {
            if (_at + digits > pattern.Length || !int.TryParse(pattern.AsSpan(_at, digits), System.Globalization.NumberStyles.HexNumber, null, out int value))
                throw Unsupported("an invalid hexadecimal escape");
            _at += digits;
            return value;
        }

        private bool[] Single(char c)
        {
            if (c >= 128)
                throw Unsupported($"the non-ASCII character '{c}'");
            var set = Fill(false);
            set[c] = true;
            return set;
        }

        private static bool[] Fill(bool value)
        {
            var set = new bool[Symbols];
            Array.Fill(set, value);
            return set;
        }
    }

    /// <summary>Thompson construction: each state has ε-edges and at most one symbol-set edge.</summary>
    private sealed class Nfa
    {
        public List<List<int>> Epsilon { get; } = [];
        public List<(bool[] Set, int Target)?> Edges { get; } = [];

        private int NewState()
        {
            if (Epsilon.Count >= MaxNfaStates)
                throw new NotSupportedException($"The pattern is too complex (over {MaxNfaStates} automaton states); simplify its repetition counts.");
            Epsilon.Add([]);
            Edges.Add(null);
            return Epsilon.Count - 1;
        }

        public (int Start, int End) Build(Rx rx)
        {
            switch (rx)
            {
                case RxSet set:
                {
                    int s = NewState(), e = NewState();
                    Edges[s] = (set.Symbols, e);
                    return (s, e);
                }
                case RxConcat concat:
                {
                    int s = NewState(), end = s;
                    foreach (var item in concat.Items)
                    {
                        var (a, b) = Build(item);
                        Epsilon[end].Add(a);
                        end = b;
                    }
                    return (s, end);
                }
                case RxAlt alt:
                {
                    int s = NewState(), e = NewState();
                    foreach (var option in alt.Options)
                    {
                        var (a, b) = Build(option);
                        Epsilon[s].Add(a);
                        Epsilon[b].Add(e);
                    }
                    return (s, e);
                }
                case RxRepeat repeat:
                {
                    int s = NewState(), end = s;
                    for (int i = 0; i < repeat.Min; i++)
                    {
                        var (a, b) = Build(repeat.Body);
                        Epsilon[end].Add(a);
                        end = b;
                    }
                    if (repeat.Max < 0)
                    {
                        var (a, b) = Build(repeat.Body);
                        int loop = NewState();
                        Epsilon[end].Add(loop);
                        Epsilon[loop].Add(a);
                        Epsilon[b].Add(loop);
                        end = loop;
                    }
                    else
                    {
                        int e = NewState();
                        Epsilon[end].Add(e);
                        for (int i = repeat.Min; i < repeat.Max; i++)
                        {
                            var (a, b) = Build(repeat.Body);
                            Epsilon[end].Add(a);
                            Epsilon[b].Add(e);
                            end = b;
                        }
                        end = e;
                    }
                    return (s, end);
                }
                default:
                    throw new InvalidOperationException(rx.ToString());
            }
        }

        public SortedSet<int> Closure(IEnumerable<int> states)
        {
            var set = new SortedSet<int>();
            var stack = new Stack<int>(states);
            while (stack.Count > 0)
            {
                int q = stack.Pop();
                if (!set.Add(q))
                    continue;
                foreach (int r in Epsilon[q])
                    stack.Push(r);
            }
            return set;
        }
    }
}
