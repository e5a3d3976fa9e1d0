using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests;

public sealed class PrefixCacheTests
{
    private static InferenceEngine LoadStories(int slots) =>
        InferenceEngine.Load(Stories260KReference.GgufPath, new EngineOptions { ContextLength = 128, PrefixCacheSlots = slots }, TestGpu.Gpu);

    private static async Task<List<int>> RunAsync(InferenceEngine engine, int[] prompt, GenerationStatus status, int maxTokens = 6)
    {
        var tokens = new List<int>();
        await foreach (int t in engine.GenerateAsync(prompt, SamplingParams.Greedy with { MaxTokens = maxTokens }, status))
            tokens.Add(t);
        return tokens;
    }

    [Fact]
    public async Task GenerateAsync_SecondTurn_PrefillsOnlyTheNewTokensAndMatchesAFreshRun()
    {
        using var engine = LoadStories(slots: 1);
        var tok = engine.Tokenizer;
        var first = tok.Encode("Once upon a time, there was a cat.", addBos: true).ToArray();
        var firstStatus = new GenerationStatus();
        var reply = await RunAsync(engine, first, firstStatus);
        Assert.Equal(0, firstStatus.CachedPromptTokens);
        Assert.Equal(GenerationFinish.MaxTokens, firstStatus.Finish);

        // the next turn repeats the conversation so far and adds a question
        var second = first.Concat(reply).Concat(tok.Encode(" The cat said hello.", addBos: false)).ToArray();
        var warm = new GenerationStatus();
        var warmTokens = await RunAsync(engine, second, warm);
        Assert.Equal(first.Length + reply.Count - 1, warm.CachedPromptTokens);   // the last reply token was never forwarded

        // an unrelated prompt takes the only slot; the same turn then starts from BOS and must give the same tokens
        await RunAsync(engine, tok.Encode("The dog ran.", addBos: true).ToArray(), new GenerationStatus(), maxTokens: 2);
        var cold = new GenerationStatus();
        var coldTokens = await RunAsync(engine, second, cold);
        Assert.Equal(1, cold.CachedPromptTokens);   // only BOS is shared
        Assert.Equal(coldTokens, warmTokens);
    }

    [Fact]
    public async Task GenerateAsync_TwoConversationsSharingASystemPrompt_ReuseItAndKeepTheirOwnTurns()
    {
        using var engine = LoadStories(slots: 2);
        var tok = engine.Tokenizer;
        var system = tok.Encode("You tell short stories about animals who live in the forest.", addBos: true).ToArray();
        int[] Turn(string text) => system.Concat(tok.Encode(text, addBos: false)).ToArray();

        var a = new GenerationStatus();
        await RunAsync(engine, Turn(" Tell me about a fox."), a);
        var b = new GenerationStatus();
        await RunAsync(engine, Turn(" Tell me about an owl."), b);
        Assert.Equal(0, a.CachedPromptTokens);
        Assert.True(b.CachedPromptTokens >= system.Length, $"shared system prompt of {system.Length} tokens, reused {b.CachedPromptTokens}");

        // conversation A comes back: its own slot survived B, so its whole first turn is reused
        var againA = new GenerationStatus();
        await RunAsync(engine, Turn(" Tell me about a fox. And a bear."), againA);
        Assert.True(againA.CachedPromptTokens >= Turn(" Tell me about a fox.").Length - 1,
            $"reused {againA.CachedPromptTokens} of conversation A's turn");
    }

    [Fact]
    public void EngineOptions_PrefixCacheSlotsZero_ThrowsNamingTheOption()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new EngineOptions { PrefixCacheSlots = 0 }.Validate());
        Assert.Equal("PrefixCacheSlots", error.ParamName);
    }
}
