namespace Hip.Inference;

/// <summary>
/// A JSON number without exponent, <c>-?(0|[1-9]\d*)(\.\d+)?</c>, at most <see cref="MaxIntegerDigits"/> digits
/// before the point and <see cref="MaxFractionDigits"/> after (none for integers), within optional bounds. Every
/// prefix it allows can still be completed to a number in bounds.
/// </summary>
/// <remarks>Frame: State = phase | 16 when negative; A = integer digits; B = fraction digits; Value = magnitude so far.</remarks>
internal sealed class NumberNode : GrammarNode
{
    private const int Start_ = 0, Sign = 1, Zero = 2, Integer = 3, Point = 4, Fraction = 5, Negative = 16;

    private readonly decimal _quantum;   // spacing of the numbers that can be written: 1, or 10^-MaxFractionDigits

    public NumberNode(bool isInteger, int maxIntegerDigits, int maxFractionDigits, decimal? minimum, bool exclusiveMinimum, decimal? maximum, bool exclusiveMaximum)
    {
        (IsInteger, MaxIntegerDigits, MaxFractionDigits) = (isInteger, maxIntegerDigits, isInteger ? 0 : maxFractionDigits);
        (Minimum, ExclusiveMinimum, Maximum, ExclusiveMaximum) = (minimum, exclusiveMinimum, maximum, exclusiveMaximum);
        _quantum = Pow10(-MaxFractionDigits);
    }

    public bool IsInteger { get; }
    public int MaxIntegerDigits { get; }
    public int MaxFractionDigits { get; }
    public decimal? Minimum { get; }
    public bool ExclusiveMinimum { get; }
    public decimal? Maximum { get; }
    public bool ExclusiveMaximum { get; }

    public override bool IsSatisfiable => Feasible(new GrammarFrame(this, Sign)) || Feasible(new GrammarFrame(this, Sign | Negative));

    public override void Step(in GrammarFrame frame, GrammarStack? rest, byte b, List<GrammarStack> results)
    {
        int phase = frame.State & 0xF, negative = frame.State & Negative;
        bool digit = b is >= (byte)'0' and <= (byte)'9';
        int d = b - '0';
        GrammarFrame next;
        switch (phase)
        {
            case Start_ when b == '-':
                next = frame with { State = Sign | Negative };
                break;
            case Start_ or Sign when b == '0':
                next = frame with { State = Zero | negative };
                break;
            case Start_ or Sign when digit:
                next = frame with { State = Integer | negative, A = 1, Value = d };
                break;
            case Integer when digit && frame.A < MaxIntegerDigits:
                next = frame with { A = frame.A + 1, Value = frame.Value * 10 + d };
                break;
            case Zero or Integer when b == '.' && !IsInteger:
                next = frame with { State = Point | negative };
                break;
            case Point when digit:
                next = frame with { State = Fraction | negative, B = 1, Value = frame.Value + d * Pow10(-1) };
                break;
            case Fraction when digit && frame.B < MaxFractionDigits:
                next = frame with { B = frame.B + 1, Value = frame.Value + d * Pow10(-frame.B - 1) };
                break;
            default:
                if (CanEnd(frame))
                    Pop(rest, b, results);   // the number ended; the byte belongs to the parent
                return;
        }
        if (Feasible(next))
            results.Add(new GrammarStack(next, rest));
    }

    public override bool CanEnd(in GrammarFrame frame) =>
        (frame.State & 0xF) is Zero or Integer or Fraction && InBounds((frame.State & Negative) != 0 ? -frame.Value : frame.Value);

    private bool InBounds(decimal value) =>
        (Minimum is not decimal min || (ExclusiveMinimum ? value > min : value >= min))
        && (Maximum is not decimal max || (ExclusiveMaximum ? value < max : value <= max));

    /// <summary>True when some number in bounds starts with what <paramref name="frame"/> has read.</summary>
    private bool Feasible(in GrammarFrame frame)
    {
        if (Minimum is null && Maximum is null)
            return true;
        decimal q = _quantum, v = frame.Value;
        bool negative = (frame.State & Negative) != 0;
        switch (frame.State & 0xF)
        {
            case Start_:
                return IsSatisfiable;
            case Sign:   // any magnitude below 10^MaxIntegerDigits
                return Reaches(0, Pow10(MaxIntegerDigits) - q, negative);
            case Zero:
                return Reaches(0, IsInteger ? 0 : 1 - q, negative);
            case Integer:   // v followed by k more digits (and any fraction)
                for (int k = 0; k <= MaxIntegerDigits - frame.A; k++)
                {
                    decimal scale = Pow10(k);
                    if (Reaches(v * scale, (v + 1) * scale - q, negative))
                        return true;
                }
                return false;
            case Point:
                return Reaches(v, v + 1 - q, negative);
            default:   // Fraction: v then more fraction digits
                return Reaches(v, v + Pow10(-frame.B) - q, negative);
        }
    }

    /// <summary>True when a multiple of the quantum in magnitudes [<paramref name="low"/>, <paramref name="high"/>] is in bounds.</summary>
    private bool Reaches(decimal low, decimal high, bool negative)
    {
        decimal lo = negative ? -high : low, hi = negative ? -low : high;
        decimal q = _quantum;
        if (Minimum is decimal min)
        {
            decimal first = Math.Ceiling(min / q) * q;
            if (ExclusiveMinimum && first == min)
                first += q;
            lo = Math.Max(lo, first);
        }
        if (Maximum is decimal max)
        {
            decimal last = Math.Floor(max / q) * q;
            if (ExclusiveMaximum && last == max)
                last -= q;
            hi = Math.Min(hi, last);
        }
        return Math.Ceiling(lo / q) * q <= hi;
    }

    private static decimal Pow10(int exponent)
    {
        decimal result = 1m;
        for (int i = 0; i < Math.Abs(exponent); i++)
            result = exponent > 0 ? result * 10m : result / 10m;
        return result;
    }
}
