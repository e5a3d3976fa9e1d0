namespace Hip.Inference;

/// <summary>
/// Bounds that keep a constrained generation finite: every string, array, free-form object, number and whitespace
/// run has a cap, so a model cannot loop inside the grammar. A schema's own limits apply when tighter.
/// </summary>
public sealed record JsonGrammarOptions
{
    /// <summary>The defaults below.</summary>
    public static JsonGrammarOptions Default { get; } = new();

    /// <summary>
    /// Characters in a string without maxLength (a larger minLength wins). 128 lets a small model with a short context
    /// finish a document; raise it for long free text.
    /// </summary>
    public int MaxStringLength { get; init; } = 128;

    /// <summary>Characters in a property name of an object whose keys are free (dictionaries, any JSON).</summary>
    public int MaxPropertyNameLength { get; init; } = 64;

    /// <summary>Items in an array without maxItems (a larger minItems wins).</summary>
    public int MaxItems { get; init; } = 64;

    /// <summary>Properties of an object whose keys are free (dictionaries, any JSON).</summary>
    public int MaxProperties { get; init; } = 32;

    /// <summary>Nesting of objects and arrays in an unconstrained ("any JSON") value.</summary>
    public int MaxAnyDepth { get; init; } = 6;

    /// <summary>$ref expansions on one path; a recursive schema is cut there (a branch it requires is then an error).</summary>
    public int MaxRefDepth { get; init; } = 6;

    /// <summary>
    /// Whitespace between tokens (and before the value) is nothing, one space, or a newline followed by at most this
    /// many spaces or tabs (llama.cpp's rule).
    /// </summary>
    public int MaxIndent { get; init; } = 12;

    /// <summary>False writes compact JSON: no whitespace between tokens (fewer tokens; a little may still lead the document).</summary>
    public bool AllowWhitespace { get; init; } = true;

    /// <summary>The whitespace bound the grammar nodes use: <see cref="MaxIndent"/>, or −1 for none.</summary>
    internal int Indent => AllowWhitespace ? MaxIndent : -1;

    /// <summary>Digits of an integer without bounds: 9 always fits a 32-bit int (the usual .NET parameter); raise it for longs.</summary>
    public int MaxIntegerDigits { get; init; } = 9;

    /// <summary>Digits before the decimal point of a number.</summary>
    public int MaxNumberDigits { get; init; } = 15;

    /// <summary>Digits after the decimal point (numbers are written without exponent).</summary>
    public int MaxFractionDigits { get; init; } = 8;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid bound.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxStringLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPropertyNameLength);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxItems);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxProperties);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxAnyDepth);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRefDepth);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxIndent);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxIntegerDigits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxIntegerDigits, 18);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxNumberDigits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxNumberDigits, 18);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxFractionDigits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFractionDigits, 9);
    }
}
