using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hip.Inference;

/// <summary>
/// Compiles a JSON schema into grammar nodes. Supported: <c>type</c> (one or a list), <c>enum</c>, <c>const</c>,
/// <c>anyOf</c>/<c>oneOf</c> (both as "any of"; sibling keywords are merged into each branch), <c>allOf</c> with
/// one schema, <c>$ref</c> to any local JSON pointer (<c>#/$defs/…</c>, <c>#/definitions/…</c>, <c>#/properties/…</c>;
/// recursion is unrolled <see cref="JsonGrammarOptions.MaxRefDepth"/> times), objects (<c>properties</c>,
/// <c>required</c>, <c>additionalProperties</c>: declared properties are written in order, optional ones may be
/// skipped, no others are written; without <c>properties</c> the keys are free and the values follow
/// <c>additionalProperties</c>), arrays (<c>items</c>, <c>minItems</c>, <c>maxItems</c>), strings (<c>minLength</c>,
/// <c>maxLength</c>, <c>pattern</c>, <c>format</c> date-time/date/time/uuid/uri/email/ipv4), numbers and integers
/// (<c>minimum</c>, <c>maximum</c>, <c>exclusiveMinimum</c>, <c>exclusiveMaximum</c>), OpenAPI <c>nullable</c>.
/// Annotations (title, description, default, examples, …) and unknown keywords are ignored.
/// </summary>
internal sealed class JsonSchemaCompiler
{
    private static readonly HashSet<string> s_annotations =
    [
        "$schema", "$id", "$comment", "$anchor", "$vocabulary", "title", "description", "default", "examples", "deprecated",
        "readOnly", "writeOnly", "contentEncoding", "contentMediaType", "$defs", "definitions",
    ];

    private static readonly HashSet<string> s_unsupported =
    [
        "not", "if", "then", "else", "dependentSchemas", "dependentRequired", "dependencies", "patternProperties", "propertyNames",
        "unevaluatedProperties", "unevaluatedItems", "contains", "minContains", "maxContains", "prefixItems", "additionalItems",
        "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor", "contentSchema",
    ];

    private static readonly string[] s_objectKeywords = ["properties", "required", "additionalProperties", "minProperties", "maxProperties"];
    private static readonly string[] s_arrayKeywords = ["items", "minItems", "maxItems", "uniqueItems"];
    private static readonly string[] s_stringKeywords = ["minLength", "maxLength", "pattern", "format"];
    private static readonly string[] s_numberKeywords = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];

    // JSON Schema formats the grammar enforces, as patterns (the strict forms .NET writes and reads)
    private const string Date = @"[12]\d{3}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|02-(?:0[1-9]|1\d|2[0-8]))";
    private const string Host = @"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*";
    private const string Time = @"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,7})?";
    private static readonly Dictionary<string, string> s_formats = new(StringComparer.Ordinal)
    {
        ["date-time"] = $"^{Date}T{Time}(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)$",
        ["date"] = $"^{Date}$",
        ["time"] = $"^{Time}$",
        ["uuid"] = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        ["uri"] = $@"^[A-Za-z][A-Za-z0-9+.\-]*://{Host}(?::\d{{1,5}})?(?:/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{{2}})*)?$",
        ["email"] = $@"^[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*@{Host}\.[A-Za-z]{{2,}}$",
        ["ipv4"] = @"^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$",
    };

    private readonly JsonElement _root;
    private readonly JsonGrammarOptions _options;
    private readonly Dictionary<(string Pointer, int Depth), GrammarNode> _refs = [];
    private readonly Dictionary<(int Depth, bool ObjectOnly), GrammarNode> _any = [];
    private string? _cutRef;          // the first $ref cut at the depth limit
    private string? _contradiction;   // the first keyword combination that nothing satisfies

    private JsonSchemaCompiler(JsonElement root, JsonGrammarOptions options) => (_root, _options) = (root, options);

    public static GrammarNode Compile(JsonElement schema, JsonGrammarOptions options)
    {
        var compiler = new JsonSchemaCompiler(schema, options);
        var node = compiler.CompileSchema(schema, "#", 0);
        if (node.IsSatisfiable)
            return node;
        if (compiler._cutRef is { } cut)
            throw new NotSupportedException(
                $"JSON schema keyword '$ref' at '{cut}' recurses deeper than the limit ({options.MaxRefDepth}) on a path the schema requires; " +
                "no document fits within the limit (raise JsonGrammarOptions.MaxRefDepth, or make the recursion optional).");
        throw new ArgumentException($"The JSON schema cannot be satisfied: {compiler._contradiction ?? "no value matches it"}.", nameof(schema));
    }

    /// <summary>Any JSON value (or object) nested at most <paramref name="depth"/> deep.</summary>
    public static GrammarNode AnyValue(JsonGrammarOptions options, int depth, bool objectOnly) =>
        new JsonSchemaCompiler(default, options).Any(depth, objectOnly);

    private GrammarNode Any(int depth, bool objectOnly)
    {
        if (_any.TryGetValue((depth, objectOnly), out var cached))
            return cached;
        int ws = _options.Indent;
        GrammarNode node;
        if (depth <= 0)
        {
            node = objectOnly ? new ObjectNode([], ws) : Scalars();
        }
        else
        {
            var key = new StringNode(0, _options.MaxPropertyNameLength, null);
            var inner = Any(depth - 1, objectOnly: false);
            var obj = new ObjectNode(key, inner, _options.MaxProperties, ws);
            node = objectOnly ? obj : new ChoiceNode([obj, new ArrayNode(inner, 0, _options.MaxItems, ws), Scalars()]);
        }
        return _any[(depth, objectOnly)] = node;

        GrammarNode Scalars() => new ChoiceNode(
        [
            new StringNode(0, _options.MaxStringLength, null),
            new NumberNode(false, _options.MaxNumberDigits, _options.MaxFractionDigits, null, false, null, false),
            new LiteralNode([.. new[] { "true", "false", "null" }.Select(System.Text.Encoding.UTF8.GetBytes)]),
        ]);
    }

    private GrammarNode CompileSchema(JsonElement schema, string path, int refDepth)
    {
        switch (schema.ValueKind)
        {
            case JsonValueKind.True:
                return Any(_options.MaxAnyDepth, objectOnly: false);
            case JsonValueKind.False:
                return Never(path, "the schema is false");
            case JsonValueKind.Object:
                break;
            default:
                throw new ArgumentException($"JSON schema at '{path}' is {Describe(schema)}: a schema must be an object or true/false.", "schema");
        }

        var keywords = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in schema.EnumerateObject())
        {
            if (s_unsupported.Contains(property.Name))
                throw Unsupported(property.Name, path);
            if (!s_annotations.Contains(property.Name))
                keywords[property.Name] = property.Value;   // unknown keywords are annotations too, but keep them for the sibling checks below
        }

        if (keywords.TryGetValue("$ref", out var reference))
            return CompileRef(reference, keywords, path, refDepth);
        if (keywords.TryGetValue("allOf", out var allOf))
            return CompileAllOf(schema, allOf, keywords, path, refDepth);
        if (keywords.ContainsKey("anyOf") || keywords.ContainsKey("oneOf"))
            return CompileAnyOf(schema, keywords, path, refDepth);
        if (keywords.TryGetValue("enum", out var values) || keywords.TryGetValue("const", out values))
            return CompileEnum(schema, keywords, path, refDepth);
        return CompileTypes(keywords, path, refDepth);
    }

    private GrammarNode CompileRef(JsonElement reference, Dictionary<string, JsonElement> keywords, string path, int refDepth)
    {
        string at = path + "/$ref";
        if (reference.ValueKind != JsonValueKind.String)
            throw new ArgumentException($"JSON schema at '{at}': '$ref' must be a string, found {Describe(reference)}.", "schema");
        foreach (var sibling in keywords.Keys)
            if (sibling != "$ref" && IsValidationKeyword(sibling))
                throw Unsupported(sibling, path, " next to '$ref' (put it inside the referenced schema)");
        string pointer = reference.GetString()!;
        if (!pointer.StartsWith('#'))
            throw Unsupported("$ref", path, $": '{pointer}' is not a local reference (only '#…' pointers into this schema are)");
        if (refDepth + 1 > _options.MaxRefDepth)
        {
            _cutRef ??= at;
            return ChoiceNode.Never;
        }
        if (_refs.TryGetValue((pointer, refDepth + 1), out var cached))
            return cached;
        var target = Resolve(pointer, at);
        var node = CompileSchema(target, pointer, refDepth + 1);
        _refs[(pointer, refDepth + 1)] = node;
        return node;
    }

    private JsonElement Resolve(string pointer, string at)
    {
        var current = _root;
        string fragment = Uri.UnescapeDataString(pointer[1..]);
        if (fragment.Length == 0)
            return current;
        if (!fragment.StartsWith('/'))
            throw Unsupported("$ref", at, $": '{pointer}' is an anchor, not a JSON pointer");
        foreach (string raw in fragment[1..].Split('/'))
        {
            string token = raw.Replace("~1", "/").Replace("~0", "~");
            if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(token, out var child))
                current = child;
            else if (current.ValueKind == JsonValueKind.Array && int.TryParse(token, out int index) && index >= 0 && index < current.GetArrayLength())
                current = current[index];
            else
                throw new ArgumentException($"JSON schema at '{at}': '$ref' '{pointer}' points to nothing in this schema.", "schema");
        }
        return current;
    }

    private GrammarNode CompileAllOf(JsonElement schema, JsonElement allOf, Dictionary<string, JsonElement> keywords, string path, int refDepth)
    {
        if (allOf.ValueKind != JsonValueKind.Array || allOf.GetArrayLength() == 0)
            throw new ArgumentException($"JSON schema at '{path}/allOf': 'allOf' must be a non-empty array of schemas, found {Describe(allOf)}.", "schema");
        if (allOf.GetArrayLength() > 1)
            throw Unsupported("allOf", path, " with more than one schema (merge them into one)");
        var merged = Merge(schema, "allOf", allOf[0], path + "/allOf/0");
        return CompileSchema(merged, path + "/allOf/0", refDepth);
    }

    private GrammarNode CompileAnyOf(JsonElement schema, Dictionary<string, JsonElement> keywords, string path, int refDepth)
    {
        if (keywords.ContainsKey("anyOf") && keywords.ContainsKey("oneOf"))
            throw Unsupported("oneOf", path, " together with 'anyOf'");
        string keyword = keywords.ContainsKey("anyOf") ? "anyOf" : "oneOf";
        var branches = keywords[keyword];
        if (branches.ValueKind != JsonValueKind.Array || branches.GetArrayLength() == 0)
            throw new ArgumentException($"JSON schema at '{path}/{keyword}': '{keyword}' must be a non-empty array of schemas, found {Describe(branches)}.", "schema");
        var options = new List<GrammarNode>();
        int i = 0;
        foreach (var branch in branches.EnumerateArray())
        {
            string at = $"{path}/{keyword}/{i++}";
            var node = CompileSchema(Merge(schema, keyword, branch, at), at, refDepth);
            if (node.IsSatisfiable)
                options.Add(node);
        }
        return options.Count == 0 ? Never(path + "/" + keyword, "no branch can be satisfied") : options.Count == 1 ? options[0] : new ChoiceNode(options);
    }

    /// <summary>The schema's other keywords merged into <paramref name="branch"/> (both must hold); a keyword in both must be equal.</summary>
    private static JsonElement Merge(JsonElement schema, string combinator, JsonElement branch, string branchPath)
    {
        var siblings = schema.EnumerateObject().Where(p => p.Name != combinator && IsValidationKeyword(p.Name)).ToList();
        if (siblings.Count == 0)
            return branch;
        if (branch.ValueKind != JsonValueKind.Object)
            throw Unsupported(combinator, branchPath, " with a boolean branch and sibling keywords");
        var merged = JsonNode.Parse(branch.GetRawText())!.AsObject();
        foreach (var sibling in siblings)
        {
            if (merged.TryGetPropertyValue(sibling.Name, out var existing))
            {
                if (!JsonNode.DeepEquals(existing, JsonNode.Parse(sibling.Value.GetRawText())))
                    throw Unsupported(sibling.Name, branchPath, $" both beside '{combinator}' and inside its branch with another value");
                continue;
            }
            merged[sibling.Name] = JsonNode.Parse(sibling.Value.GetRawText());
        }
        return JsonSerializer.SerializeToElement(merged);
    }

    private GrammarNode CompileEnum(JsonElement schema, Dictionary<string, JsonElement> keywords, string path, int refDepth)
    {
        bool isConst = !keywords.ContainsKey("enum");
        string keyword = isConst ? "const" : "enum";
        var raw = keywords[keyword];
        List<JsonElement> values;
        if (isConst)
        {
            values = [raw];
        }
        else
        {
            if (raw.ValueKind != JsonValueKind.Array)
                throw new ArgumentException($"JSON schema at '{path}/enum': 'enum' must be an array, found {Describe(raw)}.", "schema");
            values = [.. raw.EnumerateArray()];
            if (keywords.ContainsKey("const"))
                throw Unsupported("const", path, " together with 'enum'");
        }
        if (keywords.TryGetValue("nullable", out var nullable) && nullable.ValueKind == JsonValueKind.True)
            values.Add(JsonSerializer.SerializeToElement<object?>(null));
        // keep the values that the rest of the schema accepts
        var rest = keywords.Keys.Where(k => k is not ("enum" or "const" or "nullable") && IsValidationKeyword(k)).ToList();
        GrammarNode? restNode = rest.Count == 0 ? null : CompileTypes(keywords.Where(k => rest.Contains(k.Key)).ToDictionary(), path, refDepth);
        var texts = new List<byte[]>();
        foreach (var value in values)
        {
            var text = JsonText.Encode(value);
            if (restNode is null || Accepts(restNode, text))
                texts.Add(text);
        }
        return texts.Count == 0 ? Never(path + "/" + keyword, $"no '{keyword}' value matches the other keywords") : new LiteralNode(texts);
    }

    private bool Accepts(GrammarNode node, byte[] text) =>
        GrammarState.Start(new DocumentNode(node, _options.Indent)).Feed(text).CanEnd;

    private GrammarNode CompileTypes(Dictionary<string, JsonElement> keywords, string path, int refDepth)
    {
        var types = new List<string>();
        if (keywords.TryGetValue("type", out var type))
        {
            if (type.ValueKind == JsonValueKind.String)
                types.Add(type.GetString()!);
            else if (type.ValueKind == JsonValueKind.Array && type.EnumerateArray().All(t => t.ValueKind == JsonValueKind.String))
                types.AddRange(type.EnumerateArray().Select(t => t.GetString()!));
            else
                throw new ArgumentException($"JSON schema at '{path}/type': 'type' must be a type name or an array of them, found {Describe(type)}.", "schema");
            foreach (var name in types)
                if (name is not ("string" or "number" or "integer" or "boolean" or "null" or "object" or "array"))
                    throw new ArgumentException($"JSON schema at '{path}/type': '{name}' is not a JSON type (string, number, integer, boolean, null, object, array).", "schema");
        }
        else
        {
            // no type: the type-specific keywords present say which kinds of value to write
            if (s_objectKeywords.Any(keywords.ContainsKey)) types.Add("object");
            if (s_arrayKeywords.Any(keywords.ContainsKey)) types.Add("array");
            if (s_stringKeywords.Any(keywords.ContainsKey)) types.Add("string");
            if (s_numberKeywords.Any(keywords.ContainsKey)) types.Add("number");
            if (types.Count == 0)
                return Any(_options.MaxAnyDepth, objectOnly: false);
        }
        if (keywords.TryGetValue("nullable", out var nullable))
        {
            if (nullable.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                throw new ArgumentException($"JSON schema at '{path}/nullable': 'nullable' must be true or false, found {Describe(nullable)}.", "schema");
            if (nullable.ValueKind == JsonValueKind.True)
                types.Add("null");
        }
        if (types.Contains("number"))
            types.Remove("integer");   // integers are numbers

        var options = new List<GrammarNode>();
        foreach (var name in types.Distinct())
        {
            var node = name switch
            {
                "string" => CompileString(keywords, path),
                "number" or "integer" => CompileNumber(keywords, path, name == "integer"),
                "boolean" => new LiteralNode([.. new[] { "true", "false" }.Select(System.Text.Encoding.UTF8.GetBytes)]),
                "null" => new LiteralNode([[.. "null"u8]]),
                "object" => CompileObject(keywords, path, refDepth),
                _ => CompileArray(keywords, path, refDepth),
            };
            if (node.IsSatisfiable)
                options.Add(node);
        }
        return options.Count switch
        {
            0 => Never(path, "no type can be satisfied"),
            1 => options[0],
            _ => new ChoiceNode(options),
        };
    }

    private GrammarNode CompileString(Dictionary<string, JsonElement> keywords, string path)
    {
        int min = NonNegative(keywords, "minLength", path) ?? 0;
        int? declaredMax = NonNegative(keywords, "maxLength", path);
        PatternDfa? pattern = null;
        if (keywords.TryGetValue("pattern", out var source))
        {
            if (source.ValueKind != JsonValueKind.String)
                throw new ArgumentException($"JSON schema at '{path}/pattern': 'pattern' must be a string, found {Describe(source)}.", "schema");
            pattern = CompilePattern("pattern", source.GetString()!, path);
        }
        if (keywords.TryGetValue("format", out var format))
        {
            if (format.ValueKind != JsonValueKind.String)
                throw new ArgumentException($"JSON schema at '{path}/format': 'format' must be a string, found {Describe(format)}.", "schema");
            string name = format.GetString()!;
            if (!s_formats.TryGetValue(name, out string? formatPattern))
                throw Unsupported("format", path, $": format '{name}' cannot be enforced (supported: {string.Join(", ", s_formats.Keys)})");
            if (pattern is not null)
                throw Unsupported("format", path, " together with 'pattern'");
            pattern = CompilePattern("format", formatPattern, path);
        }
        if (pattern is not null && min > 0)
            throw Unsupported("minLength", path, " together with a pattern or format");
        // the default cap never cuts below the shortest string a pattern allows
        int max = declaredMax ?? Math.Max(_options.MaxStringLength, Math.Max(min, pattern?.MinToAccept(0) ?? 0));
        var node = new StringNode(min, max, pattern);
        return node.IsSatisfiable ? node : Never(path, "minLength, maxLength and pattern leave no string");
    }

    private static PatternDfa CompilePattern(string keyword, string pattern, string path)
    {
        try
        {
            return PatternDfa.Compile(pattern);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"JSON schema keyword '{keyword}' at '{path}' is not supported by constrained decoding: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"JSON schema at '{path}/{keyword}': {e.Message}", "schema", e);
        }
    }

    private GrammarNode CompileNumber(Dictionary<string, JsonElement> keywords, string path, bool integer)
    {
        if (keywords.TryGetValue("multipleOf", out var multipleOf))
        {
            if (multipleOf.ValueKind != JsonValueKind.Number || multipleOf.GetDouble() <= 0)
                throw new ArgumentException($"JSON schema at '{path}/multipleOf': 'multipleOf' must be a number > 0, found {Describe(multipleOf)}.", "schema");
            if (!(integer && multipleOf.GetDouble() == 1))
                throw Unsupported("multipleOf", path);
        }
        int digits = integer ? _options.MaxIntegerDigits : _options.MaxNumberDigits;
        decimal limit = 1m;
        for (int i = 0; i < digits; i++)
            limit *= 10m;
        var (min, exclusiveMin) = Bound(keywords, "minimum", "exclusiveMinimum", path, limit, lower: true);
        var (max, exclusiveMax) = Bound(keywords, "maximum", "exclusiveMaximum", path, limit, lower: false);
        var node = new NumberNode(integer, digits, _options.MaxFractionDigits, min, exclusiveMin, max, exclusiveMax);
        return node.IsSatisfiable ? node : Never(path, "minimum and maximum leave no number");
    }

    /// <summary>A bound from minimum/exclusiveMinimum (draft 2020-12 numbers or draft-4 booleans); beyond ±<paramref name="limit"/> it is no bound at all.</summary>
    private static (decimal? Value, bool Exclusive) Bound(Dictionary<string, JsonElement> keywords, string inclusiveKey, string exclusiveKey, string path, decimal limit, bool lower)
    {
        decimal? value = null;
        bool exclusive = false;
        if (keywords.TryGetValue(inclusiveKey, out var inclusive))
            value = Number(inclusive, inclusiveKey, path, limit);
        if (keywords.TryGetValue(exclusiveKey, out var other))
        {
            if (other.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                exclusive = other.ValueKind == JsonValueKind.True && value is not null;   // draft 4: a flag on minimum/maximum
            }
            else
            {
                decimal candidate = Number(other, exclusiveKey, path, limit);
                // keep the tighter of the two bounds
                if (value is not decimal v || (lower ? candidate >= v : candidate <= v))
                    (value, exclusive) = (candidate, true);
            }
        }
        // a bound outside what the digit cap can write: either no bound, or nothing is writable
        if (value is decimal b && Math.Abs(b) >= limit)
        {
            bool unbounding = lower ? b < 0 : b > 0;
            if (unbounding)
                return (null, false);
            throw Unsupported(inclusiveKey, path, $": {b.ToString(CultureInfo.InvariantCulture)} is beyond the {limit.ToString(CultureInfo.InvariantCulture).Length - 1}-digit limit of JsonGrammarOptions.MaxIntegerDigits or MaxNumberDigits");
        }
        return (value, exclusive);
    }

    private static decimal Number(JsonElement value, string keyword, string path, decimal limit)
    {
        if (value.ValueKind != JsonValueKind.Number)
            throw new ArgumentException($"JSON schema at '{path}/{keyword}': '{keyword}' must be a number, found {Describe(value)}.", "schema");
        if (value.TryGetDecimal(out decimal d))
            return d;
        double x = value.GetDouble();   // far beyond decimal: only its sign matters against the cap
        return x < 0 ? -limit * 10 : limit * 10;
    }

    private GrammarNode CompileObject(Dictionary<string, JsonElement> keywords, string path, int refDepth)
    {
        int ws = _options.Indent;
        var required = new List<string>();
        if (keywords.TryGetValue("required", out var requiredValue))
        {
            if (requiredValue.ValueKind != JsonValueKind.Array || requiredValue.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String))
                throw new ArgumentException($"JSON schema at '{path}/required': 'required' must be an array of property names, found {Describe(requiredValue)}.", "schema");
            required.AddRange(requiredValue.EnumerateArray().Select(r => r.GetString()!).Distinct());
        }
        JsonElement? additional = null;
        if (keywords.TryGetValue("additionalProperties", out var additionalValue))
        {
            if (additionalValue.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Object))
                throw new ArgumentException($"JSON schema at '{path}/additionalProperties': 'additionalProperties' must be a schema or true/false, found {Describe(additionalValue)}.", "schema");
            additional = additionalValue;
        }
        int? minProperties = NonNegative(keywords, "minProperties", path);
        int? maxProperties = NonNegative(keywords, "maxProperties", path);
        bool hasProperties = keywords.TryGetValue("properties", out var properties);
        if (hasProperties && properties.ValueKind != JsonValueKind.Object)
            throw new ArgumentException($"JSON schema at '{path}/properties': 'properties' must be an object of schemas, found {Describe(properties)}.", "schema");

        if (!hasProperties && required.Count == 0 && additional?.ValueKind != JsonValueKind.False)
        {
            // free keys: a dictionary
            if (minProperties > 0)
                throw Unsupported("minProperties", path, " on an object without declared properties");
            var value = additional is { ValueKind: JsonValueKind.Object } schema
                ? CompileSchema(schema, path + "/additionalProperties", refDepth)
                : Any(_options.MaxAnyDepth - 1, objectOnly: false);
            int cap = Math.Min(_options.MaxProperties, maxProperties ?? int.MaxValue);
            return value.IsSatisfiable ? new ObjectNode(new StringNode(0, _options.MaxPropertyNameLength, null), value, cap, ws) : new ObjectNode([], ws);
        }

        var list = new List<(string Name, GrammarNode Value, bool Required)>();
        if (hasProperties)
        {
            foreach (var property in properties.EnumerateObject())
            {
                bool isRequired = required.Contains(property.Name);
                var value = CompileSchema(property.Value, $"{path}/properties/{Escape(property.Name)}", refDepth);
                if (value.IsSatisfiable)
                    list.Add((property.Name, value, isRequired));
                else if (isRequired)
                    return Never($"{path}/properties/{Escape(property.Name)}", $"the required property '{property.Name}' cannot be satisfied");
            }
        }
        foreach (var name in required)
        {
            if (list.Any(p => p.Name == name))
                continue;
            if (additional?.ValueKind == JsonValueKind.False)
                return Never(path + "/required", $"'{name}' is required but not among the properties, and additionalProperties is false");
            var value = additional is { ValueKind: JsonValueKind.Object } schema
                ? CompileSchema(schema, path + "/additionalProperties", refDepth)
                : Any(_options.MaxAnyDepth - 1, objectOnly: false);
            if (!value.IsSatisfiable)
                return Never(path + "/required", $"'{name}' is required but additionalProperties accepts nothing");
            list.Add((name, value, true));
        }
        int requiredCount = list.Count(p => p.Required);
        if (minProperties > requiredCount)
            throw Unsupported("minProperties", path, $": {minProperties} is more than the {requiredCount} required properties");
        if (maxProperties < list.Count)
        {
            if (maxProperties < requiredCount)
                return Never(path + "/maxProperties", "fewer properties allowed than required");
            throw Unsupported("maxProperties", path, $": {maxProperties} is less than the {list.Count} declared properties");
        }
        return new ObjectNode(list, ws);
    }

    private GrammarNode CompileArray(Dictionary<string, JsonElement> keywords, string path, int refDepth)
    {
        if (keywords.TryGetValue("uniqueItems", out var unique))
        {
            if (unique.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                throw new ArgumentException($"JSON schema at '{path}/uniqueItems': 'uniqueItems' must be true or false, found {Describe(unique)}.", "schema");
            if (unique.ValueKind == JsonValueKind.True)
                throw Unsupported("uniqueItems", path);
        }
        int min = NonNegative(keywords, "minItems", path) ?? 0;
        int max = NonNegative(keywords, "maxItems", path) ?? Math.Max(_options.MaxItems, min);
        GrammarNode items;
        if (keywords.TryGetValue("items", out var itemsSchema))
        {
            if (itemsSchema.ValueKind == JsonValueKind.Array)
                throw Unsupported("items", path, " as an array of schemas (a tuple; use prefixItems-free schemas)");
            items = CompileSchema(itemsSchema, path + "/items", refDepth);
        }
        else
        {
            items = Any(_options.MaxAnyDepth - 1, objectOnly: false);
        }
        if (min > max)
            return Never(path, "minItems is greater than maxItems");
        if (!items.IsSatisfiable)
            return min > 0 ? Never(path + "/items", "items cannot be satisfied but minItems > 0") : new ArrayNode(items, 0, 0, _options.Indent);
        return new ArrayNode(items, min, max, _options.Indent);
    }

    private static int? NonNegative(Dictionary<string, JsonElement> keywords, string keyword, string path)
    {
        if (!keywords.TryGetValue(keyword, out var value))
            return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double d) || d < 0 || d != Math.Floor(d))
            throw new ArgumentException($"JSON schema at '{path}/{keyword}': '{keyword}' must be a non-negative integer, found {Describe(value)}.", "schema");
        return d > int.MaxValue ? int.MaxValue : (int)d;
    }

    private GrammarNode Never(string path, string why)
    {
        _contradiction ??= $"at '{path}': {why}";
        return ChoiceNode.Never;
    }

    private static bool IsValidationKeyword(string keyword) =>
        !s_annotations.Contains(keyword) && (keyword is "type" or "enum" or "const" or "anyOf" or "oneOf" or "allOf" or "$ref" or "nullable"
            || s_objectKeywords.Contains(keyword) || s_arrayKeywords.Contains(keyword) || s_stringKeywords.Contains(keyword) || s_numberKeywords.Contains(keyword));

    private static NotSupportedException Unsupported(string keyword, string path, string detail = "") =>
        new($"JSON schema keyword '{keyword}' at '{path}' is not supported by constrained decoding{detail}.");

    private static string Escape(string name) => name.Replace("~", "~0").Replace("/", "~1");

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"the string \"{value.GetString()}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
