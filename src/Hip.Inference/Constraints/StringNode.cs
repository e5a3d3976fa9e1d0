namespace Hip.Inference;

/// <summary>
/// A JSON string of <see cref="MinLength"/> to <see cref="MaxLength"/> characters (code points; an escape counts as
/// one), optionally matching <see cref="Pattern"/>. Raw bytes must form valid UTF-8; escapes are the short ones and
/// <c>\u00XX</c> (never a lone surrogate). A patterned string takes no escapes.
/// </summary>
/// <remarks>
/// Frame: State = phase | pending continuation bytes &lt;&lt; 4 | first-continuation range &lt;&lt; 8;
/// A = characters so far; B = pattern DFA state.
/// </remarks>
internal sealed class StringNode : GrammarNode
{
    private const int Open = 0, Content = 1, Escape = 2, Unicode0 = 3;   // Unicode0..Unicode0+3: the four hex digits of \u

    public StringNode(int minLength, int maxLength, PatternDfa? pattern)
    {
        (MinLength, MaxLength, Pattern) = (minLength, maxLength, pattern);
    }

    public int MinLength { get; }
    public int MaxLength { get; }
    public PatternDfa? Pattern { get; }

    public override bool IsSatisfiable => MinLength <= MaxLength && (Pattern is null || Pattern.MinToAccept(0) <= MaxLength);

    /// <summary>Characters still allowed when <paramref name="frame"/> is inside plain content (no pattern, no pending UTF-8, no escape), else −1.</summary>
    public int PlainRemaining(in GrammarFrame frame) => Pattern is null && frame.State == Content ? MaxLength - frame.A : -1;

    public override void Step(in GrammarFrame frame, GrammarStack? rest, byte b, List<GrammarStack> results)
    {
        int phase = frame.State & 0xF, pending = (frame.State >> 4) & 0xF, range = frame.State >> 8;
        int count = frame.A;
        switch (phase)
        {
            case Open:
                if (b == '"')
                    results.Add(new GrammarStack(frame with { State = Content }, rest));
                return;
            case Content when pending > 0:
                if (b >= Utf8.FirstContinuationLow(range) && b <= Utf8.FirstContinuationHigh(range))
                    results.Add(new GrammarStack(frame with { State = Content | (pending - 1) << 4 }, rest));
                return;
            case Content:
                if (b == '"')
                {
                    if (count >= MinLength && (Pattern is null || Pattern.IsAccepting(frame.B)))
                        results.Add(rest!);
                    return;
                }
                if (count >= MaxLength)
                    return;
                if (b == '\\')
                {
                    if (Pattern is null)
                        results.Add(new GrammarStack(frame with { State = Escape }, rest));
                    return;
                }
                if (b < 0x20)
                    return;   // control characters must be escaped
                int length = Utf8.SequenceLength(b);
                if (length == 0)
                    return;   // a continuation byte without a lead, or a byte UTF-8 never uses
                int dfa = frame.B;
                if (Pattern is not null)
                {
                    dfa = Pattern.Next(dfa, b < 0x80 ? b : PatternDfa.NonAscii);
                    if (dfa < 0 || Pattern.MinToAccept(dfa) > MaxLength - count - 1)
                        return;
                }
                int state = length == 1 ? Content : Content | (length - 1) << 4 | Utf8.FirstContinuationRange(b) << 8;
                results.Add(new GrammarStack(new GrammarFrame(this, state, count + 1, dfa), rest));
                return;
            case Escape:
                if (b is (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t')
                    results.Add(new GrammarStack(frame with { State = Content, A = count + 1 }, rest));
                else if (b == 'u')
                    results.Add(new GrammarStack(frame with { State = Unicode0 }, rest));
                return;
            default:
                int digit = phase - Unicode0;   // \u00XX only: no surrogates, nothing a raw character could not say
                bool ok = digit < 2 ? b == '0' : Uri.IsHexDigit((char)b);
                if (!ok)
                    return;
                results.Add(new GrammarStack(digit == 3 ? frame with { State = Content, A = count + 1 } : frame with { State = phase + 1 }, rest));
                return;
        }
    }
}
