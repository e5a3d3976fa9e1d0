using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests;

public sealed class LlamaModelTests
{
    // The reference logits come from a float64-accumulating forward pass; ours accumulates in float32 and the GPU's
    // exp is approximate, so 1e-3 absolute (the bound) leaves room for rounding but not for a wrong operation.
    private const double LogitTolerance = 1e-3;

    private static TransformerModel CreateModel(string path, int maxBatch) => ModelLoader.Load(path, TestGpu.Kernels, maxBatch: maxBatch);

    [Fact]
    public void Greedy_Stories260KBin_ReproducesReferenceTokensTextAndLogits()
    {
        var reference = Stories260KReference.Instance;
        var tokenizer = HipTokenizer.FromSentencePieceModel(Stories260KReference.TokenizerPath);
        using var model = CreateModel(Stories260KReference.BinPath, maxBatch: 8);
        Assert.IsType<LlamaModel>(model);
        using var cache = model.CreateCache(model.Config.ContextLength);
        var logits = new float[model.Config.VocabSize];
        var generated = new List<int>();

        model.SetTokens([tokenizer.BosId]);
        for (int pos = 0; pos < reference.GreedyTokens.Length; pos++)
        {
            model.Forward(1, cache);
            if (pos < 8 || pos == 199)
            {
                model.ReadLogits(logits);
                var expected = pos < 8 ? reference.LogitsFirst8[pos] : reference.LogitsAt199;
                TestData.AssertClose(expected, logits, LogitTolerance, 0, $"logits at position {pos}");
            }
            generated.Add(model.ArgMaxToInput());   // next input stays on the device
        }
        TestGpu.ThrowIfFaulted();

        Assert.Equal(reference.GreedyTokens, generated);
        Assert.Equal(reference.Text, tokenizer.Decode(generated));
    }

    [Fact]
    public void Forward_PrefillOfEightTokens_MatchesReferenceLogitsOfTheLastPosition()
    {
        var reference = Stories260KReference.Instance;
        using var model = CreateModel(Stories260KReference.GgufPath, maxBatch: 8);
        using var cache = model.CreateCache(64);
        var logits = new float[model.Config.VocabSize];

        model.SetTokens(reference.InputTokens.AsSpan(0, 5));
        model.Forward(5, cache);                                // prefill positions 0..4
        model.SetTokens(reference.InputTokens.AsSpan(5, 3));
        model.Forward(3, cache);                                // a second chunk at 5..7 attends to the first
        model.ReadLogits(logits);
        TestGpu.ThrowIfFaulted();

        Assert.Equal(8, cache.Length);
        TestData.AssertClose(reference.LogitsFirst8[7], logits, LogitTolerance, 0, "logits at position 7 after chunked prefill");
    }

    [Fact]
    public void Forward_PastTheCacheCapacity_ThrowsAndNamesTheCapacity()
    {
        using var model = CreateModel(Stories260KReference.GgufPath, maxBatch: 4);
        using var cache = model.CreateCache(3);
        model.SetTokens([1, 403, 407, 261]);

        var error = Assert.Throws<InvalidOperationException>(() => model.Forward(4, cache));
        Assert.Contains("3 positions", error.Message);
    }
}
