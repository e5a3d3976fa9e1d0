using Microsoft.Extensions.AI;

namespace Hip.SemanticKernel.Tests;

/// <summary>
/// Passes requests through and records each one's messages, options and response. A request without functions (the
/// last round of a tool loop) gets <see cref="AnswerTokens"/> output tokens at most, to keep the tests short.
/// </summary>
internal sealed class RecordingChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    public int? AnswerTokens { get; init; }

    public List<(List<ChatMessage> Messages, ChatOptions? Options, ChatResponse? Response)> Requests { get; } = [];

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        options = Shorten(options);
        var response = await base.GetResponseAsync(list, options, cancellationToken);
        Requests.Add((list, options?.Clone(), response));
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        options = Shorten(options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in base.GetStreamingResponseAsync(list, options, cancellationToken))
        {
            updates.Add(update);
            yield return update;
        }
        Requests.Add((list, options?.Clone(), updates.ToChatResponse()));
    }

    private ChatOptions? Shorten(ChatOptions? options)
    {
        if (AnswerTokens is not int tokens || options is null || options.Tools?.OfType<AIFunctionDeclaration>().Any() == true)
            return options;
        var shorter = options.Clone();
        shorter.MaxOutputTokens = tokens;
        return shorter;
    }
}
