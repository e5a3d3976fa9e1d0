using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests;

public sealed class InferenceEngineTests
{
    private static InferenceEngine LoadStories(EngineOptions? options = null) =>
        InferenceEngine.Load(Stories260KReference.GgufPath, options, TestGpu.Gpu);

    private static async Task<List<int>> CollectAsync(IAsyncEnumerable<int> tokens)
    {
        var list = new List<int>();
        await foreach (int t in tokens)
            list.Add(t);
        return list;
    }

    [Fact]
    public async Task GenerateAsync_Stories260KGgufGreedyFromBos_ReproducesReferenceText()
    {
        var reference = Stories260KReference.Instance;
        using var engine = LoadStories();

        var tokens = await CollectAsync(engine.GenerateAsync([engine.Tokenizer.BosId], SamplingParams.Greedy with { MaxTokens = 200 }));

        Assert.Equal(reference.GreedyTokens, tokens);
        Assert.Equal(reference.Text, engine.Tokenizer.Decode(tokens));
    }

    [Fact]
    public async Task GenerateAsync_OnceUponATimePrompt_ContinuesLikeTheReference()
    {
        var reference = Stories260KReference.Instance;
        using var engine = LoadStories();
        const string prompt = "Once upon a time";
        var ids = engine.Tokenizer.Encode(prompt, addBos: true);
        var decoder = new StreamingDecoder(engine.Tokenizer, ids);
        var text = new System.Text.StringBuilder(prompt);

        await foreach (int t in engine.GenerateAsync(ids, SamplingParams.Greedy with { MaxTokens = 30 }))
            text.Append(decoder.Append(t));
        text.Append(decoder.Flush());

        Assert.True(text.Length > prompt.Length + 50, $"too short: '{text}'");
        Assert.StartsWith(text.ToString(), reference.Text);
    }

    [Fact]
    public async Task GenerateAsync_SameSeed_GivesSameTokensAndOtherSeedDiffers()
    {
        using var engine = LoadStories();
        var sampling = new SamplingParams { Temperature = 1.0f, TopP = 0.9f, TopK = 40, Seed = 42, MaxTokens = 24 };
        int[] prompt = [engine.Tokenizer.BosId];

        var first = await CollectAsync(engine.GenerateAsync(prompt, sampling));
        var second = await CollectAsync(engine.GenerateAsync(prompt, sampling));
        var other = await CollectAsync(engine.GenerateAsync(prompt, sampling with { Seed = 7 }));

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public async Task GenerateAsync_PromptAsLongAsTheContext_ThrowsWithTheNumbers()
    {
        using var engine = LoadStories(new EngineOptions { ContextLength = 16 });
        var prompt = Enumerable.Repeat(261, 16).ToArray();

        var error = Assert.Throws<ArgumentException>(() => engine.GenerateAsync(prompt, SamplingParams.Greedy));
        Assert.Contains("16 tokens", error.Message);
        Assert.Contains("ContextLength", error.Message);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task GenerateAsync_OutputReachesTheContext_StopsAtTheLastPosition()
    {
        using var engine = LoadStories(new EngineOptions { ContextLength = 12 });

        var tokens = await CollectAsync(engine.GenerateAsync([1, 403, 407, 261], SamplingParams.Greedy with { MaxTokens = 100 }));

        Assert.Equal(12 - 4 + 1, tokens.Count);   // the last token is sampled from position 11 and not stored
    }

    [Fact]
    public async Task GenerateAsync_CancelledMidStream_StopsAndTheNextRequestSucceeds()
    {
        using var engine = LoadStories();
        using var cts = new CancellationTokenSource();
        int count = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int _ in engine.GenerateAsync([1], SamplingParams.Greedy with { MaxTokens = 50 }, cts.Token))
                if (++count == 3)
                    cts.Cancel();
        });
        Assert.Equal(3, count);

        var tokens = await CollectAsync(engine.GenerateAsync([1], SamplingParams.Greedy with { MaxTokens = 5 }));
        Assert.Equal(Stories260KReference.Instance.GreedyTokens.Take(5), tokens);
    }

    [Fact]
    public void SamplingParams_InvalidValues_ThrowNamingTheSetting()
    {
        Assert.Equal("Temperature", Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingParams { Temperature = -1 }.Validate()).ParamName);
        Assert.Equal("TopP", Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingParams { TopP = 0 }.Validate()).ParamName);
        Assert.Equal("TopP", Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingParams { TopP = 1.5f }.Validate()).ParamName);
        Assert.Equal("TopK", Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingParams { TopK = -1 }.Validate()).ParamName);
        Assert.Equal("MaxTokens", Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingParams { MaxTokens = 0 }.Validate()).ParamName);
    }

    [Fact]
    public async Task GenerateAsync_TinyRandomGgufWithF16Weights_RunsAndStaysInTheVocabulary()
    {
        using var engine = InferenceEngine.Load(RepoPaths.TinyRandomGguf, new EngineOptions { ContextLength = 64 }, TestGpu.Gpu);
        var prompt = engine.Tokenizer.Encode("Once upon a time, there was a little girl named Lily.", addBos: true);

        var tokens = await CollectAsync(engine.GenerateAsync(prompt, SamplingParams.Greedy with { MaxTokens = 8, StopAtEndOfSequence = false }));

        Assert.Equal(32000, engine.Config.VocabSize);
        Assert.Equal(8, tokens.Count);
        Assert.All(tokens, t => Assert.InRange(t, 0, 31999));
    }
}
