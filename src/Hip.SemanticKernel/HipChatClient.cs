using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Hip.Inference;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hip.SemanticKernel;

/// <summary>
/// An <see cref="IChatClient"/> over a local model running in this process. Messages go through the model's chat
/// template; text streams as tokens decode (holding back incomplete UTF-8 and possible stop-string starts); the last
/// update carries the finish reason and usage. Safe for concurrent use: the engine serves requests in arrival order.
/// Stateless: every call sends the whole conversation, and no ConversationId is returned.
/// </summary>
/// <remarks>
/// Honoured <see cref="ChatOptions"/>: Temperature (0 = greedy), TopP, TopK, Seed, MaxOutputTokens (default: until
/// end-of-sequence or a full context), StopSequences (on free text), FrequencyPenalty, PresencePenalty, Instructions
/// (a leading system message), ModelId (must name this model), RawRepresentationFactory (a <see cref="SamplingParams"/>
/// to start from), AdditionalProperties <see cref="MinPKey"/>, <see cref="IgnoreEosKey"/> and <see cref="JsonGrammarOptionsKey"/>, and through
/// grammar-constrained decoding: Tools (functions, described in the prompt in the template family's tool syntax),
/// ToolMode (None: not offered; Auto: text or calls; RequireAny / RequireSpecific: a call is forced),
/// AllowMultipleToolCalls and ResponseFormat (Json, or a JSON schema). Calls come back as
/// <see cref="FunctionCallContent"/>s with finish reason ToolCalls and never as text, also when streaming.
/// </remarks>
public sealed class HipChatClient : IChatClient
{
    /// <summary>Name of the ActivitySource and Meter the client reports to.</summary>
    public const string TelemetrySourceName = "Hip.Agents";

    /// <summary>Provider name in <see cref="ChatClientMetadata"/>.</summary>
    public const string ProviderName = "hip";

    /// <summary>AdditionalProperties key: min-p sampling, a number in [0, 1) (0 = off).</summary>
    public const string MinPKey = "min_p";

    /// <summary>AdditionalProperties key: true keeps generating past the end-of-sequence token.</summary>
    public const string IgnoreEosKey = "ignore_eos";

    /// <summary>
    /// AdditionalProperties key: a <see cref="JsonGrammarOptions"/> for the JSON the grammar lets the model write (tool
    /// arguments and JSON responses): string, array and number caps, whitespace (AllowWhitespace false: compact JSON).
    /// </summary>
    public const string JsonGrammarOptionsKey = "json_grammar";

    /// <summary>
    /// AdditionalProperties key: the most tool calls one reply may hold (an integer ≥ 1; default
    /// <see cref="DefaultMaxToolCalls"/>) when several are allowed. The grammar closes the reply after that many, so a
    /// small model that keeps adding calls still ends on its own.
    /// </summary>
    public const string MaxToolCallsKey = "max_tool_calls";

    /// <summary>Tool calls one reply may hold by default when AllowMultipleToolCalls is not false.</summary>
    public const int DefaultMaxToolCalls = 4;

    /// <summary>
    /// Key in the last update's AdditionalProperties: the text of a tool call that the output limit cut short. The calls
    /// complete before it still come back as <see cref="FunctionCallContent"/>s, with finish reason Length.
    /// </summary>
    public const string IncompleteToolCallKey = "incomplete_tool_call";

    private readonly HipModel _model;
    private readonly bool _ownsModel;
    private readonly ILogger _logger;
    private volatile bool _disposed;

    /// <summary>
    /// Loads the model at <paramref name="modelPath"/> (GGUF, or llama2.c with <see cref="HipChatClientOptions.TokenizerPath"/>)
    /// in the background and serves it; the client owns the model and frees it in <see cref="Dispose"/>. Requests
    /// made before the load ends wait for it.
    /// </summary>
    /// <param name="options">Optional: every setting but ModelPath, which <paramref name="modelPath"/> replaces (the options are copied).</param>
    /// <exception cref="FileNotFoundException">The model (or tokenizer) file does not exist.</exception>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public HipChatClient(string modelPath, HipChatClientOptions? options = null, ILogger<HipChatClient>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        var copy = options?.Clone() ?? new HipChatClientOptions();
        copy.ModelPath = modelPath;
        _model = new HipModel(copy);
        _model.StartLoading();
        _ownsModel = true;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Serves an already loaded engine, which stays the caller's to dispose.</summary>
    /// <param name="options">Optional: only ModelId, ChatTemplate and ChatTemplateFormat are used.</param>
    public HipChatClient(InferenceEngine engine, HipChatClientOptions? options = null, ILogger<HipChatClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _model = new HipModel(engine, options);
        _ownsModel = true;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>
    /// Serves <paramref name="model"/>, loaded or still loading (requests wait). The model is shared, not owned: disposing
    /// this client stops this client only (its calls throw <see cref="ObjectDisposedException"/>), and the model keeps
    /// serving other clients until the model itself is disposed.
    /// </summary>
    public HipChatClient(HipModel model, ILogger<HipChatClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The model this client serves.</summary>
    public HipModel Model => _model;

    /// <summary>
    /// Provider "hip", the model file as a file:// URI, and the model id: the same before and after loading (the
    /// configured <see cref="HipChatClientOptions.ModelId"/>, else the file name without extension; see <see cref="HipModel.ModelId"/>).
    /// </summary>
    public ChatClientMetadata Metadata => new(ProviderName, new Uri(Path.GetFullPath(_model.ModelPath)), _model.ModelId);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = GetStreamingResponseAsync(messages, options, cancellationToken);
        return await updates.ToChatResponseAsync(cancellationToken).ConfigureAwait(false);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var plan = ResponsePlan.Create(options);   // tool and response schemas compile now: what they cannot enforce fails here
        var messageList = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var turns = new Turns(ChatMessageMapping.ToTemplateMessages(messageList, options?.Instructions),
            plan.Instructions is null ? null : ChatMessageMapping.ToTemplateMessages(messageList, JoinInstructions(options?.Instructions, plan.Instructions)));
        var sampling = ChatOptionsMapping.ToSamplingParams(options, this);
        if (sampling.Constraint is not null && plan.Kind != ResponseKind.Text)
            throw new ArgumentException(
                "The SamplingParams from ChatOptions.RawRepresentationFactory has a Constraint, and the tools or response format need one of their own.", nameof(options));
        var stops = ChatOptionsMapping.ToStopSequences(options);
        string? modelId = options?.ModelId;
        // with the model loaded, check the model id and the prompt length now rather than at the first update
        var request = _model.Loaded is { } loaded ? Prepare(loaded, turns, plan, stops, modelId) : null;
        return StreamAsync(request, turns, plan, sampling, stops, modelId, cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
            return null;
        if (serviceType == typeof(ChatClientMetadata))
            return Metadata;
        if (serviceType.IsInstanceOfType(this))
            return this;
        if (serviceType.IsInstanceOfType(_model))
            return _model;
        if (_model.Loaded is not { } loaded)
            return null;
        object?[] services = [loaded.Engine, loaded.Engine.Tokenizer, loaded.Engine.Tokenizer.Inner, loaded.Template];
        return services.FirstOrDefault(serviceType.IsInstanceOfType);
    }

    /// <summary>
    /// Stops this client: later calls throw <see cref="ObjectDisposedException"/> naming <see cref="HipChatClient"/>. The
    /// model is freed only when this client made it (the path and engine constructors; an engine passed in stays the
    /// caller's), and requests streaming from it then end with <see cref="OperationCanceledException"/> or
    /// <see cref="ObjectDisposedException"/>. A shared <see cref="HipModel"/> stays loaded for its other clients.
    /// </summary>
    public void Dispose()
    {
        _disposed = true;
        if (_ownsModel)
            _model.Dispose();
    }

    private sealed record Request(LoadedModel Model, IReadOnlyList<int> Prompt, IReadOnlyList<string> Stops);

    /// <summary>The conversation as template turns, without and with the response plan's instructions (when it has some).</summary>
    private sealed record Turns(List<ChatTemplateMessage> Plain, List<ChatTemplateMessage>? WithInstructions);

    private static string JoinInstructions(string? caller, string plan) => string.IsNullOrEmpty(caller) ? plan : caller + "\n\n" + plan;

    private static Request Prepare(LoadedModel model, Turns conversation, ResponsePlan plan, IReadOnlyList<string> stops, string? modelId)
    {
        var turns = plan.NeedsInstructions(model.Template) ? conversation.WithInstructions! : conversation.Plain;
        if (modelId is not null && !NamesModel(model, modelId))
            throw new ArgumentException(
                $"ChatOptions.ModelId '{modelId}' names another model: this client serves '{model.ModelId}' ({model.Engine.ModelPath}).",
                nameof(ChatOptions.ModelId));
        var prompt = model.Encoder.Encode(model.Template, turns, tools: plan.OfferedTools);
        int context = model.Engine.ContextLength;
        if (prompt.Count >= context)
            throw new ArgumentException(
                $"The prompt is {prompt.Count} tokens after the '{model.Template.Name}' chat template, but the context holds {context} " +
                "(prompt and output together): shorten the conversation or raise HipChatClientOptions.ContextLength.", "messages");
        return new Request(model, prompt, [.. stops, .. model.EndOfTurnTexts]);
    }

    /// <summary>The model's id, its file name with or without extension, or its path.</summary>
    private static bool NamesModel(LoadedModel model, string modelId)
    {
        string path = model.Engine.ModelPath;
        return new[] { model.ModelId, model.Engine.ModelId, Path.GetFileNameWithoutExtension(path), Path.GetFileName(path), path }
            .Any(name => string.Equals(name, modelId, StringComparison.OrdinalIgnoreCase));
    }

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(Request? request, Turns turns, ResponsePlan plan, SamplingParams sampling,
        IReadOnlyList<string> stops, string? modelId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        request ??= Prepare(await _model.GetLoadedAsync(cancellationToken).ConfigureAwait(false), turns, plan, stops, modelId);
        var (model, prompt, allStops) = request;
        var engine = model.Engine;
        var constraint = plan.CreateConstraint(model, out var format);   // stateful: one per generation
        if (constraint is not null)
            sampling = sampling with { Constraint = constraint };
        string responseId = "hip-" + Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        ChatResponseUpdate Update(IList<AIContent> contents) => new(ChatRole.Assistant, contents)
        {
            ResponseId = responseId, MessageId = responseId, ModelId = model.ModelId, CreatedAt = created,
        };

        using var activity = HipTelemetry.StartGenerate(model.ModelId, prompt.Count);
        var watch = Stopwatch.StartNew();
        TimeSpan? firstToken = null;
        var decoder = new StreamingDecoder(engine.Tokenizer, prompt);
        var filter = new ReplyFilter(plan.Kind, constraint, format, allStops);
        var status = new GenerationStatus();
        int produced = 0;
        ChatFinishReason? finish = null;
        try
        {
            await foreach (int id in engine.GenerateAsync(prompt, sampling, status, cancellationToken).ConfigureAwait(false))
            {
                produced++;
                firstToken ??= watch.Elapsed;
                if ((engine.Tokenizer.IsEndOfGeneration(id) && sampling.StopAtEndOfSequence) || model.EndOfTurnTokenIds.Contains(id))
                {
                    finish = ChatFinishReason.Stop;   // with a constraint the engine passes EOS on: it ends the turn here
                    break;
                }
                string text = filter.Append(decoder.Append(id));
                if (text.Length > 0)
                    yield return Update([new TextContent(text)]);
                if (filter.Stopped)
                {
                    finish = ChatFinishReason.Stop;
                    break;
                }
            }
            if (finish is null)
            {
                string rest = filter.Append(decoder.Flush()) + filter.Flush();
                if (rest.Length > 0)
                    yield return Update([new TextContent(rest)]);
                finish = filter.Stopped || status.Finish == GenerationFinish.Stop ? ChatFinishReason.Stop : ChatFinishReason.Length;
            }
        }
        finally
        {
            if (finish is null)
            {
                activity?.SetStatus(ActivityStatusCode.Error, "cancelled or failed");
                HipLog.ResponseAbandoned(_logger, responseId, produced);
            }
        }

        // tool calls: read back from the text the grammar matched
        AdditionalPropertiesDictionary? extra = null;
        if (constraint is { StartedGrammar: true } && plan.Kind is ResponseKind.Calls or ResponseKind.CallsOrText or ResponseKind.CallsOrDocument)
        {
            string callText = constraint.GrammarText;
            if (ToolCallParser.TryParse(format, callText, plan.ToolNames) is { } calls)
            {
                yield return Update([.. calls.Select(ToFunctionCall)]);
                finish = ChatFinishReason.ToolCalls;
            }
            else if (plan.Kind == ResponseKind.CallsOrDocument && filter.Held.Length > 0)
            {
                yield return Update([new TextContent(filter.Held)]);   // not a call: the JSON answer
            }
            else
            {
                // cut short inside a call: the calls already complete still come back (finish reason stays Length)
                extra = new() { [IncompleteToolCallKey] = callText };
                if (ToolCallParser.CompleteCalls(format, callText, plan.ToolNames) is { Count: > 0 } complete)
                    yield return Update([.. complete.Select(ToFunctionCall)]);
            }
        }

        var total = watch.Elapsed;
        HipTelemetry.Record(activity, model.ModelId, prompt.Count, produced, firstToken, total, finish.Value.Value);
        double decodeSeconds = (total - (firstToken ?? total)).TotalSeconds;
        HipLog.ResponseCompleted(_logger, responseId, prompt.Count, produced, finish.Value.Value,
            (firstToken ?? total).TotalMilliseconds, produced > 1 && decodeSeconds > 0 ? (produced - 1) / decodeSeconds : 0);

        var usage = new UsageDetails
        {
            InputTokenCount = prompt.Count, OutputTokenCount = produced, TotalTokenCount = prompt.Count + produced,
            CachedInputTokenCount = status.CachedPromptTokens,   // prompt tokens served from the prefix KV cache
        };
        var last = Update([new UsageContent(usage)]);
        last.FinishReason = finish;
        last.AdditionalProperties = extra;
        yield return last;
    }

    /// <summary>A parsed call as MEAI's content: a fresh call id, the arguments as a dictionary of JSON values.</summary>
    private static FunctionCallContent ToFunctionCall(ParsedToolCall call) =>
        FunctionCallContent.CreateFromParsedArguments(call.ArgumentsJson, "call_" + Guid.NewGuid().ToString("N")[..24], call.Name,
            json => JsonSerializer.Deserialize<Dictionary<string, object?>>(json, AIJsonUtilities.DefaultOptions));
}
