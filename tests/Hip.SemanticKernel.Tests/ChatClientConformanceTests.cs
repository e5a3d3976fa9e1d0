using Hip.Inference;
using Microsoft.Extensions.AI;
using Xunit;

namespace Hip.SemanticKernel.Tests;

/// <summary>
/// What any IChatClient over a Hip engine with the stories260K base model must do, each case streamed and not.
/// Expected texts come from the engine itself (reached through GetService), so every option is checked against a
/// direct engine run with the settings it should map to.
/// </summary>
public abstract class ChatClientConformanceTests
{
    protected const string Prompt = "Once upon a time";
    private const int Short = 10;

    protected abstract IChatClient CreateChatClient();

    private sealed record Result(string Text, ChatResponse Response, IReadOnlyList<ChatResponseUpdate> Updates);

    private static async Task<Result> AskAsync(IChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options, bool streaming,
        CancellationToken cancellationToken = default)
    {
        if (!streaming)
        {
            var response = await client.GetResponseAsync(messages, options, cancellationToken);
            return new Result(response.Text, response, []);
        }
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, options, cancellationToken))
            updates.Add(update);
        return new Result(string.Concat(updates.Select(u => u.Text)), updates.ToChatResponse(), updates);
    }

    private static Task<Result> AskAsync(IChatClient client, string prompt, ChatOptions? options, bool streaming) =>
        AskAsync(client, [new ChatMessage(ChatRole.User, prompt)], options, streaming);

    private static InferenceEngine EngineOf(IChatClient client) => client.GetRequiredService<InferenceEngine>();

    private static Task<(string Text, int Tokens)> ReferenceAsync(IChatClient client, SamplingParams sampling, string prompt = Prompt) =>
        SharedModel.ReferenceAsync(EngineOf(client), prompt, sampling);

    /// <summary>How many greedy tokens the engine produces until its text contains <paramref name="text"/>.</summary>
    private static async Task<int> TokensUntilAsync(IChatClient client, string text)
    {
        var engine = EngineOf(client);
        var prompt = engine.Tokenizer.Encode(Prompt, addBos: true);
        var decoder = new StreamingDecoder(engine.Tokenizer, prompt);
        string produced = "";
        int count = 0;
        await foreach (int id in engine.GenerateAsync(prompt, SamplingParams.Greedy with { MaxTokens = 40 }))
        {
            produced += decoder.Append(id);
            count++;
            if (produced.Contains(text, StringComparison.Ordinal))
                break;
        }
        return count;
    }

    private static ChatOptions Greedy(int maxTokens = Short) => new() { Temperature = 0, MaxOutputTokens = maxTokens };

    // greedy text and response metadata

    [Fact] public Task GetResponse_Greedy_MatchesEngineReference_Streaming() => Greedy_MatchesEngineReference(streaming: true);
    [Fact] public Task GetResponse_Greedy_MatchesEngineReference_NonStreaming() => Greedy_MatchesEngineReference(streaming: false);

    private async Task Greedy_MatchesEngineReference(bool streaming)
    {
        using var client = CreateChatClient();
        var expected = await ReferenceAsync(client, SamplingParams.Greedy with { MaxTokens = Short });

        var result = await AskAsync(client, Prompt, Greedy(), streaming);

        Assert.Equal(expected.Text, result.Text);
        Assert.StartsWith(", there was", result.Text);
    }

    [Fact] public Task GetResponse_Any_CarriesResponseMetadata_Streaming() => Any_CarriesResponseMetadata(streaming: true);
    [Fact] public Task GetResponse_Any_CarriesResponseMetadata_NonStreaming() => Any_CarriesResponseMetadata(streaming: false);

    private async Task Any_CarriesResponseMetadata(bool streaming)
    {
        using var client = CreateChatClient();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var result = await AskAsync(client, Prompt, Greedy(4), streaming);

        var response = result.Response;
        Assert.Equal(client.GetRequiredService<ChatClientMetadata>().DefaultModelId, response.ModelId);
        Assert.False(string.IsNullOrEmpty(response.ResponseId));
        Assert.Null(response.ConversationId);
        Assert.True(response.CreatedAt >= before && response.CreatedAt <= DateTimeOffset.UtcNow.AddSeconds(1), $"CreatedAt {response.CreatedAt}");
        var message = Assert.Single(response.Messages);
        Assert.Equal(ChatRole.Assistant, message.Role);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.NotNull(response.Usage);
        if (streaming)
        {
            Assert.All(result.Updates, u => Assert.Equal(response.ResponseId, u.ResponseId));
            Assert.All(result.Updates, u => Assert.Equal(ChatRole.Assistant, u.Role));
            Assert.Single(result.Updates.Select(u => u.MessageId).Distinct());
            var last = result.Updates[^1];
            Assert.Equal(ChatFinishReason.Length, last.FinishReason);
            Assert.Contains(last.Contents, c => c is UsageContent);
            Assert.All(result.Updates.Take(result.Updates.Count - 1), u => Assert.Null(u.FinishReason));
        }
    }

    // sampling options

    [Fact] public Task GetResponse_SameSeed_SameText_Streaming() => SameSeed_SameText(streaming: true);
    [Fact] public Task GetResponse_SameSeed_SameText_NonStreaming() => SameSeed_SameText(streaming: false);

    private async Task SameSeed_SameText(bool streaming)
    {
        using var client = CreateChatClient();
        ChatOptions Seeded(long seed) => new() { Temperature = 1.2f, Seed = seed, MaxOutputTokens = Short };

        var first = await AskAsync(client, Prompt, Seeded(42), streaming);
        var again = await AskAsync(client, Prompt, Seeded(42), streaming);
        var others = new[] { (await AskAsync(client, Prompt, Seeded(7), streaming)).Text, (await AskAsync(client, Prompt, Seeded(1234567890123), streaming)).Text };

        Assert.Equal(first.Text, again.Text);
        Assert.Contains(others, text => text != first.Text);
        var expected = await ReferenceAsync(client, new SamplingParams { Temperature = 1.2f, Seed = 42, MaxTokens = Short });
        Assert.Equal(expected.Text, first.Text);
    }

    [Fact] public Task GetResponse_TopKOne_EqualsGreedy_Streaming() => TopKOne_EqualsGreedy(streaming: true);
    [Fact] public Task GetResponse_TopKOne_EqualsGreedy_NonStreaming() => TopKOne_EqualsGreedy(streaming: false);

    private async Task TopKOne_EqualsGreedy(bool streaming)
    {
        using var client = CreateChatClient();
        var greedy = await ReferenceAsync(client, SamplingParams.Greedy with { MaxTokens = Short });

        var result = await AskAsync(client, Prompt, new ChatOptions { Temperature = 1.5f, TopK = 1, MaxOutputTokens = Short }, streaming);

        Assert.Equal(greedy.Text, result.Text);
    }

    [Fact] public Task GetResponse_TinyTopP_EqualsGreedy_Streaming() => TinyTopP_EqualsGreedy(streaming: true);
    [Fact] public Task GetResponse_TinyTopP_EqualsGreedy_NonStreaming() => TinyTopP_EqualsGreedy(streaming: false);

    private async Task TinyTopP_EqualsGreedy(bool streaming)
    {
        using var client = CreateChatClient();
        var greedy = await ReferenceAsync(client, SamplingParams.Greedy with { MaxTokens = Short });

        var result = await AskAsync(client, Prompt, new ChatOptions { Temperature = 1.5f, TopP = 0.001f, MaxOutputTokens = Short }, streaming);

        Assert.Equal(greedy.Text, result.Text);
    }

    [Fact] public Task GetResponse_MinPNearOne_EqualsGreedy_Streaming() => MinPNearOne_EqualsGreedy(streaming: true);
    [Fact] public Task GetResponse_MinPNearOne_EqualsGreedy_NonStreaming() => MinPNearOne_EqualsGreedy(streaming: false);

    private async Task MinPNearOne_EqualsGreedy(bool streaming)
    {
        using var client = CreateChatClient();
        var greedy = await ReferenceAsync(client, SamplingParams.Greedy with { MaxTokens = Short });
        var options = new ChatOptions { Temperature = 1.5f, MaxOutputTokens = Short, AdditionalProperties = new() { ["min_p"] = 0.999 } };

        var result = await AskAsync(client, Prompt, options, streaming);

        Assert.Equal(greedy.Text, result.Text);
    }

    [Fact] public Task GetResponse_PresencePenalty_MatchesEngineReference_Streaming() => Penalty_MatchesEngineReference(streaming: true, presence: true);
    [Fact] public Task GetResponse_PresencePenalty_MatchesEngineReference_NonStreaming() => Penalty_MatchesEngineReference(streaming: false, presence: true);
    [Fact] public Task GetResponse_FrequencyPenalty_MatchesEngineReference_Streaming() => Penalty_MatchesEngineReference(streaming: true, presence: false);
    [Fact] public Task GetResponse_FrequencyPenalty_MatchesEngineReference_NonStreaming() => Penalty_MatchesEngineReference(streaming: false, presence: false);

    private async Task Penalty_MatchesEngineReference(bool streaming, bool presence)
    {
        using var client = CreateChatClient();
        const int tokens = 12;
        const float penalty = -4f;   // negative: favours tokens already produced, so greedy changes within a few tokens
        var sampling = SamplingParams.Greedy with { MaxTokens = tokens, PresencePenalty = presence ? penalty : 0f, FrequencyPenalty = presence ? 0f : penalty };
        var expected = await ReferenceAsync(client, sampling);
        var greedy = await ReferenceAsync(client, SamplingParams.Greedy with { MaxTokens = tokens });
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = tokens };
        if (presence)
            options.PresencePenalty = penalty;
        else
            options.FrequencyPenalty = penalty;

        var result = await AskAsync(client, Prompt, options, streaming);

        Assert.Equal(expected.Text, result.Text);
        Assert.NotEqual(greedy.Text, result.Text);
    }

    // length, stops, usage

    [Fact] public Task GetResponse_MaxOutputTokens_EndsWithLength_Streaming() => MaxOutputTokens_EndsWithLength(streaming: true);
    [Fact] public Task GetResponse_MaxOutputTokens_EndsWithLength_NonStreaming() => MaxOutputTokens_EndsWithLength(streaming: false);

    private async Task MaxOutputTokens_EndsWithLength(bool streaming)
    {
        using var client = CreateChatClient();

        var result = await AskAsync(client, Prompt, Greedy(3), streaming);

        Assert.Equal(ChatFinishReason.Length, result.Response.FinishReason);
        Assert.Equal(3, result.Response.Usage!.OutputTokenCount);
    }

    [Fact] public Task GetResponse_MultiTokenStopSequence_EndsBeforeIt_Streaming() => MultiTokenStopSequence_EndsBeforeIt(streaming: true);
    [Fact] public Task GetResponse_MultiTokenStopSequence_EndsBeforeIt_NonStreaming() => MultiTokenStopSequence_EndsBeforeIt(streaming: false);

    private async Task MultiTokenStopSequence_EndsBeforeIt(bool streaming)
    {
        using var client = CreateChatClient();
        const string stop = " named Lily";   // greedy: ", there was a little girl named Lily. She ..."
        Assert.True(EngineOf(client).Tokenizer.CountTokens(stop) >= 2, "the stop must span several tokens");
        var options = Greedy(20);
        options.StopSequences = ["no such text", stop];

        var result = await AskAsync(client, Prompt, options, streaming);

        Assert.Equal(", there was a little girl", result.Text);
        Assert.Equal(ChatFinishReason.Stop, result.Response.FinishReason);
        Assert.All(result.Updates, u => Assert.DoesNotContain("named", u.Text));
        Assert.Equal(await TokensUntilAsync(client, ", there was a little girl named Lily"), result.Response.Usage!.OutputTokenCount);
    }

    [Fact] public Task GetResponse_StopSequencePrefixOnly_KeepsAllText_Streaming() => StopSequencePrefixOnly_KeepsAllText(streaming: true);
    [Fact] public Task GetResponse_StopSequencePrefixOnly_KeepsAllText_NonStreaming() => StopSequencePrefixOnly_KeepsAllText(streaming: false);

    private async Task StopSequencePrefixOnly_KeepsAllText(bool streaming)
    {
        using var client = CreateChatClient();
        var expected = await ReferenceAsync(client, SamplingParams.Greedy with { MaxTokens = Short });
        var options = Greedy();
        options.StopSequences = [" named Bob", "girl named Lucy"];   // their starts appear, held back, then released

        var result = await AskAsync(client, Prompt, options, streaming);

        Assert.Equal(expected.Text, result.Text);
        Assert.Equal(ChatFinishReason.Length, result.Response.FinishReason);
    }

    [Fact] public Task GetResponse_Usage_EqualsTokenizerCounts_Streaming() => Usage_EqualsTokenizerCounts(streaming: true);
    [Fact] public Task GetResponse_Usage_EqualsTokenizerCounts_NonStreaming() => Usage_EqualsTokenizerCounts(streaming: false);

    private async Task Usage_EqualsTokenizerCounts(bool streaming)
    {
        using var client = CreateChatClient();
        var tokenizer = client.GetRequiredService<Microsoft.ML.Tokenizers.Tokenizer>();
        var expected = await ReferenceAsync(client, SamplingParams.Greedy with { MaxTokens = 6 });

        var result = await AskAsync(client, Prompt, Greedy(6), streaming);

        var usage = result.Response.Usage!;
        Assert.Equal(1 + tokenizer.CountTokens(Prompt), usage.InputTokenCount);   // BOS + the prompt
        Assert.Equal(expected.Tokens, usage.OutputTokenCount);
        Assert.Equal(tokenizer.CountTokens(Prompt + result.Text) - tokenizer.CountTokens(Prompt), usage.OutputTokenCount);
        Assert.Equal(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);
    }

    // messages and instructions

    [Fact] public Task GetResponse_Instructions_ActAsSystemMessage_Streaming() => Instructions_ActAsSystemMessage(streaming: true);
    [Fact] public Task GetResponse_Instructions_ActAsSystemMessage_NonStreaming() => Instructions_ActAsSystemMessage(streaming: false);

    private async Task Instructions_ActAsSystemMessage(bool streaming)
    {
        using var client = CreateChatClient();
        var withInstructions = Greedy(6);
        withInstructions.Instructions = "Tom had a red ball.";

        var instructed = await AskAsync(client, Prompt, withInstructions, streaming);
        var system = await AskAsync(client, [new(ChatRole.System, "Tom had a red ball."), new(ChatRole.User, Prompt)], Greedy(6), streaming);
        var plain = await AskAsync(client, Prompt, Greedy(6), streaming);

        Assert.Equal(system.Text, instructed.Text);
        Assert.Equal(system.Response.Usage!.InputTokenCount, instructed.Response.Usage!.InputTokenCount);
        Assert.True(instructed.Response.Usage.InputTokenCount > plain.Response.Usage!.InputTokenCount);
    }

    [Fact] public Task GetResponse_OwnModelId_IsAccepted_Streaming() => OwnModelId_IsAccepted(streaming: true);
    [Fact] public Task GetResponse_OwnModelId_IsAccepted_NonStreaming() => OwnModelId_IsAccepted(streaming: false);

    private async Task OwnModelId_IsAccepted(bool streaming)
    {
        using var client = CreateChatClient();
        var options = Greedy(2);
        options.ModelId = client.GetRequiredService<ChatClientMetadata>().DefaultModelId;

        var result = await AskAsync(client, Prompt, options, streaming);

        Assert.Equal(options.ModelId, result.Response.ModelId);
    }

    [Fact] public Task GetResponse_OtherModelId_Throws_Streaming() => OtherModelId_Throws(streaming: true);
    [Fact] public Task GetResponse_OtherModelId_Throws_NonStreaming() => OtherModelId_Throws(streaming: false);

    private async Task OtherModelId_Throws(bool streaming)
    {
        using var client = CreateChatClient();
        var options = Greedy(2);
        options.ModelId = "gpt-4o";

        var e = await Assert.ThrowsAsync<ArgumentException>(() => AskAsync(client, Prompt, options, streaming));

        Assert.Contains("gpt-4o", e.Message);
    }

    [Fact] public Task GetResponse_Options_AreNotChanged_Streaming() => Options_AreNotChanged(streaming: true);
    [Fact] public Task GetResponse_Options_AreNotChanged_NonStreaming() => Options_AreNotChanged(streaming: false);

    private async Task Options_AreNotChanged(bool streaming)
    {
        using var client = CreateChatClient();
        var options = new ChatOptions
        {
            Temperature = 0, MaxOutputTokens = 3, StopSequences = ["zzz"], Instructions = "Be brief.",
            AdditionalProperties = new() { ["min_p"] = 0.1 },
        };
        string before = System.Text.Json.JsonSerializer.Serialize(options, AIJsonUtilities.DefaultOptions);
        var messages = new List<ChatMessage> { new(ChatRole.User, Prompt) };

        await AskAsync(client, messages, options, streaming);

        Assert.Equal(before, System.Text.Json.JsonSerializer.Serialize(options, AIJsonUtilities.DefaultOptions));
        Assert.Single(messages);
        Assert.Null(options.ConversationId);
    }

    // bad input

    [Fact] public Task GetResponse_NullOrEmptyMessages_Throw_Streaming() => NullOrEmptyMessages_Throw(streaming: true);
    [Fact] public Task GetResponse_NullOrEmptyMessages_Throw_NonStreaming() => NullOrEmptyMessages_Throw(streaming: false);

    private async Task NullOrEmptyMessages_Throw(bool streaming)
    {
        using var client = CreateChatClient();

        var isNull = await Assert.ThrowsAsync<ArgumentNullException>(() => AskAsync(client, (IEnumerable<ChatMessage>)null!, null, streaming));
        var empty = await Assert.ThrowsAsync<ArgumentException>(() => AskAsync(client, [], null, streaming));

        Assert.Equal("messages", isNull.ParamName);
        Assert.Equal("messages", empty.ParamName);
    }

    [Fact] public Task GetResponse_ImageContent_ThrowsNotSupported_Streaming() => ImageContent_ThrowsNotSupported(streaming: true);
    [Fact] public Task GetResponse_ImageContent_ThrowsNotSupported_NonStreaming() => ImageContent_ThrowsNotSupported(streaming: false);

    private async Task ImageContent_ThrowsNotSupported(bool streaming)
    {
        using var client = CreateChatClient();
        var data = new ChatMessage(ChatRole.User, [new TextContent("What is this?"), new DataContent(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, "image/png")]);
        var uri = new ChatMessage(ChatRole.User, [new UriContent(new Uri("https://example.com/cat.jpg"), "image/jpeg")]);

        var fromData = await Assert.ThrowsAsync<NotSupportedException>(() => AskAsync(client, [data], Greedy(2), streaming));
        var fromUri = await Assert.ThrowsAsync<NotSupportedException>(() => AskAsync(client, [uri], Greedy(2), streaming));

        Assert.Contains("image/png", fromData.Message);
        Assert.Contains("image/jpeg", fromUri.Message);
    }

    [Fact] public Task GetResponse_InvalidOptionValues_ThrowOutOfRange_Streaming() => InvalidOptionValues_ThrowOutOfRange(streaming: true);
    [Fact] public Task GetResponse_InvalidOptionValues_ThrowOutOfRange_NonStreaming() => InvalidOptionValues_ThrowOutOfRange(streaming: false);

    private async Task InvalidOptionValues_ThrowOutOfRange(bool streaming)
    {
        using var client = CreateChatClient();
        var cases = new (string Name, ChatOptions Options)[]
        {
            ("Temperature", new() { Temperature = -0.5f }),
            ("Temperature", new() { Temperature = float.NaN }),
            ("TopP", new() { TopP = 0f }),
            ("TopP", new() { TopP = 1.5f }),
            ("TopK", new() { TopK = -1 }),
            ("MaxOutputTokens", new() { MaxOutputTokens = 0 }),
            ("FrequencyPenalty", new() { FrequencyPenalty = float.PositiveInfinity }),
            ("min_p", new() { AdditionalProperties = new() { ["min_p"] = 1.5 } }),
        };

        foreach (var (name, options) in cases)
        {
            var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => AskAsync(client, Prompt, options, streaming));
            Assert.Equal(name, e.ParamName);
        }
    }

    [Fact] public Task GetResponse_PromptLongerThanContext_ThrowsClearError_Streaming() => PromptLongerThanContext_ThrowsClearError(streaming: true);
    [Fact] public Task GetResponse_PromptLongerThanContext_ThrowsClearError_NonStreaming() => PromptLongerThanContext_ThrowsClearError(streaming: false);

    private async Task PromptLongerThanContext_ThrowsClearError(bool streaming)
    {
        using var client = CreateChatClient();
        int context = EngineOf(client).ContextLength;
        string longPrompt = string.Concat(Enumerable.Repeat("Once upon a time there was a dog. ", context / 4));

        var e = await Assert.ThrowsAsync<ArgumentException>(
            () => AskAsync(client, longPrompt, Greedy(2), streaming).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Contains($"context holds {context}", e.Message);
    }

    // concurrency and cancellation

    [Fact] public Task GetResponse_EightConcurrentGreedyRequests_MatchSequentialRuns_Streaming() => EightConcurrent_MatchSequential(streaming: true);
    [Fact] public Task GetResponse_EightConcurrentGreedyRequests_MatchSequentialRuns_NonStreaming() => EightConcurrent_MatchSequential(streaming: false);

    private async Task EightConcurrent_MatchSequential(bool streaming)
    {
        using var client = CreateChatClient();
        string[] prompts = ["Once upon a time", "The dog", "Lily and Tom", "One day", "The sun was", "A little bird", "Mom said", "They went to"];
        var sequential = new List<string>();
        foreach (var prompt in prompts)
            sequential.Add((await AskAsync(client, prompt, Greedy(5), streaming)).Text);

        var concurrent = await Task.WhenAll(prompts.Select(p => Task.Run(() => AskAsync(client, p, Greedy(5), streaming))));

        Assert.Equal(sequential, concurrent.Select(r => r.Text));
        Assert.True(sequential.Distinct().Count() > 1);
    }

    [Fact]
    public async Task GetResponse_CancelledMidway_NextRequestSucceeds_Streaming()
    {
        using var client = CreateChatClient();
        using var cancel = new CancellationTokenSource();
        var options = new ChatOptions { Temperature = 0, AdditionalProperties = new() { ["ignore_eos"] = true } };   // would run to the end of the context
        int updates = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, Prompt)], options, cancel.Token))
                if (++updates == 2)
                    cancel.Cancel();
        });

        Assert.Equal(2, updates);
        var next = await AskAsync(client, Prompt, Greedy(4), streaming: true);
        Assert.Equal((await ReferenceAsync(client, SamplingParams.Greedy with { MaxTokens = 4 })).Text, next.Text);
    }

    [Fact]
    public async Task GetResponse_CancelledMidway_NextRequestSucceeds_NonStreaming()
    {
        using var client = CreateChatClient();
        using var cancel = new CancellationTokenSource();
        var options = new ChatOptions { Temperature = 0, AdditionalProperties = new() { ["ignore_eos"] = true } };
        // a stream that has produced a token holds the engine, so the request below is mid-way (queued) when cancelled
        await using (var holder = client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "The dog")], Greedy(50)).GetAsyncEnumerator())
        {
            Assert.True(await holder.MoveNextAsync());
            var pending = client.GetResponseAsync([new ChatMessage(ChatRole.User, Prompt)], options, cancel.Token);
            await Task.Delay(50);
            Assert.False(pending.IsCompleted);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        }

        var next = await AskAsync(client, Prompt, Greedy(4), streaming: false);
        Assert.Equal((await ReferenceAsync(client, SamplingParams.Greedy with { MaxTokens = 4 })).Text, next.Text);
    }
}
