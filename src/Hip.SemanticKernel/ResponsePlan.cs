using System.Runtime.CompilerServices;
using System.Text.Json;
using Hip.Inference;
using Microsoft.Extensions.AI;

namespace Hip.SemanticKernel;

/// <summary>
/// Tools and response format of one request, checked and compiled when the request is made: the tools to offer in
/// the prompt, the grammars that constrain the reply, and what kind of reply to expect. A tool schema or response
/// schema that constrained decoding cannot enforce is a <see cref="NotSupportedException"/> here, naming the tool
/// and the schema keyword.
/// </summary>
internal sealed class ResponsePlan
{
    private static readonly ConditionalWeakTable<HipTokenizer, TokenVocabulary> s_vocabularies = new();

    private readonly IReadOnlyList<(string Name, Grammar Arguments)> _tools;
    private readonly Grammar? _document;
    private readonly int _maxCalls;

    private ResponsePlan(ResponseKind kind, IReadOnlyList<ChatTemplateTool> offered, IReadOnlyList<(string, Grammar)> tools, Grammar? document,
        int maxCalls, string? instructions)
    {
        (Kind, OfferedTools, _tools, _document, _maxCalls, Instructions) = (kind, offered, tools, document, maxCalls, instructions);
    }

    public ResponseKind Kind { get; }

    /// <summary>Tools to describe in the prompt.</summary>
    public IReadOnlyList<ChatTemplateTool> OfferedTools { get; }

    /// <summary>
    /// System text asking for JSON (with the schema, compact), when a JSON response format is requested. The client
    /// sends it only to chat templates (<see cref="NeedsInstructions"/>): the grammar enforces the format either way.
    /// </summary>
    public string? Instructions { get; }

    /// <summary>The most calls the reply may hold (1 when a single call is asked for).</summary>
    public int MaxCalls => _maxCalls;

    /// <summary>Names of the offered tools.</summary>
    public ICollection<string> ToolNames => [.. _tools.Select(t => t.Name)];

    public static ResponsePlan Create(ChatOptions? options)
    {
        var bounds = GrammarOptions(options);

        // the response format
        Grammar? document = null;
        string? instructions = null;
        if (options?.ResponseFormat is ChatResponseFormatJson json)
        {
            if (json.Schema is JsonElement schema)
            {
                document = Compile(schema, bounds, "ChatOptions.ResponseFormat schema");
                string name = json.SchemaName is { Length: > 0 } n ? $" ({n}{(json.SchemaDescription is { Length: > 0 } d ? ": " + d : "")})" : "";
                instructions = $"Reply with JSON only, matching this JSON schema{name}: {CompactSchema(schema)}";
            }
            else
            {
                document = Grammar.AnyJson(objectOnly: true, bounds);
                instructions = "Reply with a JSON object only.";
            }
        }

        // the tools
        var declarations = options?.ToolMode is NoneChatToolMode || options?.Tools is null
            ? [] : options.Tools.OfType<AIFunctionDeclaration>().ToList();
        // a required mode without any function asks for nothing (FunctionInvokingChatClient drops the tools on its last round)
        if (options?.ToolMode is RequiredChatToolMode required && declarations.Count > 0)
        {
            if (required.RequiredFunctionName is { } wanted)
            {
                declarations = declarations.Where(d => d.Name == wanted).Take(1).ToList();
                if (declarations.Count == 0)
                    throw new ArgumentException(
                        $"ChatOptions.ToolMode requires the function '{wanted}', which is not in ChatOptions.Tools.", nameof(options));
            }
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in declarations)
            if (!seen.Add(d.Name))
                throw new ArgumentException($"ChatOptions.Tools has two functions named '{d.Name}'.", nameof(options));
        var tools = declarations.Select(d => (d.Name, Compile(d.JsonSchema, bounds, $"Tool '{d.Name}' parameters schema"))).ToList();
        var offered = declarations.Select(d => new ChatTemplateTool(d.Name, d.Description, d.JsonSchema.GetRawText())).ToList();
        // one call when the caller says so, or names the function to call (as hosted models answer a named tool choice)
        int maxCalls = options?.AllowMultipleToolCalls == false || options?.ToolMode is RequiredChatToolMode { RequiredFunctionName: not null }
            ? 1 : MaxToolCalls(options);

        var kind = tools.Count == 0 ? (document is null ? ResponseKind.Text : ResponseKind.Document)
            : options!.ToolMode is RequiredChatToolMode ? ResponseKind.Calls
            : document is null ? ResponseKind.CallsOrText : ResponseKind.CallsOrDocument;
        // a required call answers nothing yet: the JSON format is for the reply after the tools ran
        if (kind == ResponseKind.Calls)
            instructions = null;
        return new ResponsePlan(kind, offered, tools, document, maxCalls, instructions);
    }

    /// <summary>
    /// Whether <see cref="Instructions"/> belong in the prompt of <paramref name="template"/>: a chat model reads a system
    /// message and writes better JSON for it; a base model on the plain template would only spend context on it (the
    /// whole schema can take most of a small context), and the grammar already enforces the format.
    /// </summary>
    public bool NeedsInstructions(ChatTemplate template) => Instructions is not null && template.Family != ChatTemplateFamily.Plain;

    /// <summary>The constraint for one generation on <paramref name="model"/>, or null for free text.</summary>
    public GrammarConstraint? CreateConstraint(LoadedModel model, out ToolCallFormat format)
    {
        format = ToolCallFormat.For(model.Template.ToolSyntax);
        if (Kind == ResponseKind.Text)
            return null;
        var vocabulary = s_vocabularies.GetValue(model.Engine.Tokenizer, t => new TokenVocabulary(t, model.Encoder.SpecialTokenIds));
        var specials = new Dictionary<int, string>();
        foreach (var marker in format.Markers)
            if (model.Encoder.TryGetSpecialTokenId(marker, out int id))
                specials[id] = marker;
        var options = new GrammarConstraintOptions { EndTokenIds = [.. model.EndOfTurnTokenIds], SpecialTokens = specials };
        var grammar = Kind switch
        {
            ResponseKind.Document => _document!,
            ResponseKind.CallsOrDocument => Grammar.Choice(format.CallsGrammar(_tools, _maxCalls), _document!),
            _ => format.CallsGrammar(_tools, _maxCalls),
        };
        if (Kind == ResponseKind.CallsOrText)
            options = options with { TextMode = format.AutoTextMode, Trigger = format.Trigger };
        return new GrammarConstraint(vocabulary, grammar, options);
    }

    /// <summary>The caller's <see cref="JsonGrammarOptions"/> (AdditionalProperties <see cref="HipChatClient.JsonGrammarOptionsKey"/>), else the defaults.</summary>
    private static JsonGrammarOptions GrammarOptions(ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { } extra)
            return JsonGrammarOptions.Default;
        foreach (var (key, value) in extra)
        {
            if (!string.Equals(key, HipChatClient.JsonGrammarOptionsKey, StringComparison.OrdinalIgnoreCase))
                continue;
            var bounds = value switch
            {
                JsonGrammarOptions o => o,
                JsonElement { ValueKind: JsonValueKind.Object } e => e.Deserialize<JsonGrammarOptions>(new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!,
                _ => throw new ArgumentException(
                    $"ChatOptions.AdditionalProperties[\"{key}\"] is {value?.GetType().Name ?? "null"}, expected a JsonGrammarOptions.", nameof(options)),
            };
            try
            {
                bounds.Validate();
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"]: {e.Message}", nameof(options), e);
            }
            return bounds;
        }
        return JsonGrammarOptions.Default;
    }

    /// <summary>AdditionalProperties <see cref="HipChatClient.MaxToolCallsKey"/>, else <see cref="HipChatClient.DefaultMaxToolCalls"/>.</summary>
    private static int MaxToolCalls(ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { } extra)
            return HipChatClient.DefaultMaxToolCalls;
        foreach (var (key, value) in extra)
        {
            if (!string.Equals(key, HipChatClient.MaxToolCallsKey, StringComparison.OrdinalIgnoreCase))
                continue;
            int? count = value switch
            {
                int i => i,
                long l when l is >= 1 and <= int.MaxValue => (int)l,
                string t when int.TryParse(t, out int parsed) => parsed,
                JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt32(out int parsed) => parsed,
                _ => null,
            };
            if (count is not int calls)
                throw new ArgumentException(
                    $"ChatOptions.AdditionalProperties[\"{key}\"] is {value ?? "null"} ({value?.GetType().Name ?? "null"}), expected an integer ≥ 1.", key);
            if (calls < 1)
                throw new ArgumentOutOfRangeException(key, calls, $"ChatOptions.AdditionalProperties[\"{key}\"] must be ≥ 1.");
            return calls;
        }
        return HipChatClient.DefaultMaxToolCalls;
    }

    /// <summary>The schema without whitespace and without its "$schema" annotation.</summary>
    private static string CompactSchema(JsonElement schema)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(schema.GetRawText());
        if (node is System.Text.Json.Nodes.JsonObject root)
            root.Remove("$schema");
        return node?.ToJsonString() ?? "null";
    }

    private static Grammar Compile(JsonElement schema, JsonGrammarOptions bounds, string what)
    {
        try
        {
            return Grammar.FromJsonSchema(schema, bounds);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"{what}: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{what}: {e.Message}", "options", e);
        }
    }
}
