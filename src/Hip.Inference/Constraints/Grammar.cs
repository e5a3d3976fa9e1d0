using System.Text;
using System.Text.Json;

namespace Hip.Inference;

/// <summary>
/// A compiled grammar for constrained decoding: a JSON schema, any JSON, or text built from those (tool-call
/// wrappers such as <c>&lt;tool_call&gt;{…}&lt;/tool_call&gt;</c>). Immutable and reusable; each request matches it
/// through its own <see cref="GrammarConstraint"/>. Every part is bounded (see <see cref="JsonGrammarOptions"/>), so
/// a document the grammar accepts always has an end.
/// </summary>
public sealed class Grammar
{
    private const int NoOpinion = int.MinValue;   // literals: no whitespace inside, so none to say about it

    private Grammar(GrammarNode node, int maxIndent) => (Node, MaxIndent) = (node, maxIndent);

    internal GrammarNode Node { get; }

    /// <summary>Whitespace bound between tokens (−1: none; <see cref="NoOpinion"/> for literals).</summary>
    internal int MaxIndent { get; }

    /// <summary>
    /// A JSON value valid under <paramref name="schema"/> (the subset agents use: see <see cref="JsonSchemaCompiler"/>).
    /// Throws <see cref="ArgumentException"/> for an invalid schema and <see cref="NotSupportedException"/> for a
    /// keyword it cannot enforce, both naming the keyword's JSON pointer.
    /// </summary>
    public static Grammar FromJsonSchema(JsonElement schema, JsonGrammarOptions? options = null)
    {
        options ??= JsonGrammarOptions.Default;
        options.Validate();
        return new(JsonSchemaCompiler.Compile(schema, options), options.Indent);
    }

    /// <summary><see cref="FromJsonSchema(JsonElement, JsonGrammarOptions?)"/> of a schema given as JSON text.</summary>
    public static Grammar FromJsonSchema(string schemaJson, JsonGrammarOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        using var document = JsonDocument.Parse(schemaJson);
        return FromJsonSchema(document.RootElement, options);
    }

    /// <summary>Any JSON object (<paramref name="objectOnly"/>) or any JSON value, bounded by <paramref name="options"/>.</summary>
    public static Grammar AnyJson(bool objectOnly = true, JsonGrammarOptions? options = null)
    {
        options ??= JsonGrammarOptions.Default;
        options.Validate();
        return new(JsonSchemaCompiler.AnyValue(options, options.MaxAnyDepth, objectOnly), options.Indent);
    }

    /// <summary>Exactly <paramref name="text"/>.</summary>
    public static Grammar Literal(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        return new(new LiteralNode([Encoding.UTF8.GetBytes(text)]), NoOpinion);
    }

    /// <summary>The JSON string <paramref name="value"/> (quoted and escaped).</summary>
    public static Grammar JsonString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(new LiteralNode([Encoding.UTF8.GetBytes(JsonText.EncodeString(value))]), NoOpinion);
    }

    /// <summary>The parts one after another; a little whitespace may separate them.</summary>
    public static Grammar Sequence(params IReadOnlyList<Grammar> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentOutOfRangeException.ThrowIfZero(parts.Count, nameof(parts));
        return parts.Count == 1 ? parts[0] : new(Unsatisfiable(parts) ?? new SequenceNode([.. parts.Select(p => p.Node)], Resolve(MaxOf(parts))), MaxOf(parts));
    }

    /// <summary>Any one of <paramref name="options"/>.</summary>
    public static Grammar Choice(params IReadOnlyList<Grammar> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var satisfiable = options.Where(o => o.Node.IsSatisfiable).ToArray();
        return satisfiable.Length == 1 ? satisfiable[0]
            : new(new ChoiceNode([.. satisfiable.Select(o => o.Node)]), MaxOf(options));
    }

    /// <summary><paramref name="item"/> <paramref name="min"/> to <paramref name="max"/> times, whitespace allowed between.</summary>
    public static Grammar Repeat(Grammar item, int min, int max)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentOutOfRangeException.ThrowIfNegative(min);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, Math.Max(min, 1));
        if (!item.Node.IsSatisfiable)
            return min == 0 ? throw new ArgumentException("The repeated item accepts nothing and min is 0: nothing could be written.", nameof(item)) : item;
        return new(new RepeatNode(item.Node, min, max, item.Indent), item.MaxIndent);
    }

    /// <summary>A JSON object with exactly these properties, all required, in this order.</summary>
    public static Grammar JsonObject(params IReadOnlyList<KeyValuePair<string, Grammar>> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        int ws = MaxOf([.. properties.Select(p => p.Value)]);
        var never = Unsatisfiable([.. properties.Select(p => p.Value)]);
        return new(never ?? new ObjectNode([.. properties.Select(p => (p.Key, p.Value.Node, true))], Resolve(ws)), ws);
    }

    /// <summary>A JSON array of <paramref name="minItems"/> to <paramref name="maxItems"/> <paramref name="items"/>.</summary>
    public static Grammar JsonArray(Grammar items, int minItems, int maxItems)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegative(minItems);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, minItems);
        if (!items.Node.IsSatisfiable)
            return minItems > 0 ? items : new(new ArrayNode(items.Node, 0, 0, items.Indent), items.MaxIndent);
        return new(new ArrayNode(items.Node, minItems, maxItems, items.Indent), items.MaxIndent);
    }

    /// <summary>True when some text matches (false for a choice of nothing).</summary>
    public bool IsSatisfiable => Node.IsSatisfiable;

    /// <summary>True when <paramref name="text"/> is a complete document of this grammar (whitespace around it as the grammar allows it between tokens).</summary>
    public bool Matches(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var state = GrammarState.Start(new DocumentNode(Node, DocumentIndent)).Feed(Encoding.UTF8.GetBytes(text.TrimEnd(' ', '\n', '\t')));
        return state.CanEnd;
    }

    /// <summary>True when <paramref name="text"/> can be continued into a document of this grammar.</summary>
    public bool IsPrefix(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return !GrammarState.Start(new DocumentNode(Node, DocumentIndent)).Feed(Encoding.UTF8.GetBytes(text)).IsDead;
    }

    private static GrammarNode? Unsatisfiable(IEnumerable<Grammar> parts) => parts.Any(p => !p.Node.IsSatisfiable) ? ChoiceNode.Never : null;

    /// <summary>The whitespace bound of combined parts: the largest any part set (literals set none).</summary>
    private static int MaxOf(IReadOnlyList<Grammar> parts) => parts.Count == 0 ? NoOpinion : parts.Max(p => p.MaxIndent);

    private static int Resolve(int indent) => indent == NoOpinion ? JsonGrammarOptions.Default.MaxIndent : indent;

    /// <summary>The whitespace nodes of this grammar use (−1: none).</summary>
    private int Indent => Resolve(MaxIndent);

    /// <summary>The whitespace bound of the document: leading whitespace is allowed even in compact JSON.</summary>
    internal int DocumentIndent => Math.Max(Indent, JsonGrammarOptions.Default.MaxIndent);
}
