using Hip.Kernels;
using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests;

public sealed class HipGenerationTests
{
    [Fact]
    public async Task GenerateAsync_HipAtTheFullContext_ReproducesTheDenseReferenceText()
    {
        // stories260K's 512-token context fits in HiP's default k (512): the middle range is never pruned, so HiP's
        // layers (3 and 4; the first 3 stay dense) must give exactly the dense greedy text (HIP.md §11.1). A golden test:
        // F32 KV cache.
        var reference = Stories260KReference.Instance;
        using var engine = InferenceEngine.Load(Stories260KReference.GgufPath, new EngineOptions { Attention = AttentionKind.Hip, KvPrecision = KvPrecision.F32 }, TestGpu.Gpu);

        var tokens = new List<int>();
        await foreach (int t in engine.GenerateAsync([engine.Tokenizer.BosId], SamplingParams.Greedy with { MaxTokens = 200 }))
            tokens.Add(t);

        Assert.Equal(reference.GreedyTokens, tokens);
        Assert.Equal(reference.Text, engine.Tokenizer.Decode(tokens));
    }

    [Fact]
    public async Task GenerateAsync_HipWithASmallBudgetAndPrefill_RunsAndStaysCloseToDense()
    {
        // k 16, window 32, sink 16: from about position 64 on the middle range is pruned in layers 1–4, in prefill
        // (prompt of 100 tokens) and decode (refresh every 4 steps). Sparse attention changes the logits, so only the
        // first generated tokens are compared; the test guards against crashes and nonsense, not exact equality.
        var reference = Stories260KReference.Instance;
        var options = new EngineOptions
        {
            Attention = AttentionKind.Hip,
            Hip = new HipAttentionOptions { K = 16, SinkTokens = 16, WindowTokens = 32, BlockSizeQ = 16, RefreshInterval = 4, DenseLayers = 1 },
            ContextLength = 160,
        };
        using var engine = InferenceEngine.Load(Stories260KReference.GgufPath, options, TestGpu.Gpu);
        var prompt = reference.InputTokens.Take(100).ToArray();

        var tokens = new List<int>();
        await foreach (int t in engine.GenerateAsync(prompt, SamplingParams.Greedy with { MaxTokens = 8 }))
            tokens.Add(t);

        Assert.Equal(8, tokens.Count);
        Assert.Equal(reference.GreedyTokens[99], tokens[0]);   // the story continues as with dense attention
    }

    [Fact]
    public void EngineOptions_InvalidHipOption_ThrowsNamingIt()
    {
        var options = new EngineOptions { Attention = AttentionKind.Hip, Hip = new HipAttentionOptions { K = 511 } };
        var error = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Contains("K", error.Message);
    }
}
