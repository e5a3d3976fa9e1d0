using Hip.Kernels;
using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests;

public sealed class LlamaModelTests
{
    // The reference logits come from a float64-accumulating forward pass; ours accumulates in float32 and the GPU's
    // exp is approximate, so 1e-3 absolute (the issue's bound) leaves room for rounding but not for a wrong operation.
    private const double LogitTolerance = 1e-3;

    private static TransformerModel CreateModel(string path, int maxBatch, KvPrecision precision = KvPrecision.F32)
    {
        var model = ModelLoader.Load(path, TestGpu.Kernels, maxBatch: maxBatch);
        model.KvPrecision = precision;
        return model;
    }

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
    public void Greedy_Stories260KWithF16Cache_StaysWithinHalfToleranceOfF32()
    {
        // Half-precision K/V (fp32 arithmetic) against the F32 cache at the reference's recorded positions: max |logit
        // diff| bounded by 5e-2 (measured 1.75e-2 on the CPU accelerator, printed); the greedy text is recorded where it departs from the reference.
        var reference = Stories260KReference.Instance;
        string checkpoint = Stories260KReference.BinPath;
        var tokenizer = HipTokenizer.FromSentencePieceModel(Stories260KReference.TokenizerPath);
        using var exact = CreateModel(checkpoint, maxBatch: 1, KvPrecision.F32);
        using var half = CreateModel(checkpoint, maxBatch: 1, KvPrecision.F16);
        using var exactCache = exact.CreateCache(512);
        using var halfCache = half.CreateCache(512);
        Assert.Equal(KvPrecision.F16, halfCache.Precision);
        var exactLogits = new float[512];
        var halfLogits = new float[512];
        var generated = new List<int>();
        double worst = 0;

        // both models fed the reference's tokens, so the logits compare position by position
        for (int pos = 0; pos < reference.GreedyTokens.Length; pos++)
        {
            int input = pos == 0 ? tokenizer.BosId : reference.GreedyTokens[pos - 1];
            exact.SetTokens([input]);
            half.SetTokens([input]);
            exact.Forward(1, exactCache);
            half.Forward(1, halfCache);
            if (pos < 8 || pos == 199)
            {
                exact.ReadLogits(exactLogits);
                half.ReadLogits(halfLogits);
                worst = Math.Max(worst, exactLogits.Zip(halfLogits, (a, b) => Math.Abs(a - (double)b)).Max());
            }
            generated.Add(half.ArgMaxToInput());
        }
        TestGpu.ThrowIfFaulted();

        int departs = generated.Zip(reference.GreedyTokens).TakeWhile(p => p.First == p.Second).Count();
        Console.WriteLine($"[stories260K F16 KV] max |logit diff| vs F32 at positions 0-7, 199: {worst:E3}; " +
            $"teacher-forced argmax equals the reference at {generated.Zip(reference.GreedyTokens).Count(p => p.First == p.Second)}/200, first departure at {(departs == 200 ? "none" : departs)}");
        Assert.True(worst < 5e-2, $"F16 KV logits differ from F32 by {worst}");
    }

    [Fact]
    public void Greedy_Stories260KWithF16Cache_RecordsText()
    {
        // Free-running greedy decode with half-precision K/V; the text is printed and compared with the F32 reference.
        var reference = Stories260KReference.Instance;
        string checkpoint = Stories260KReference.BinPath;
        var tokenizer = HipTokenizer.FromSentencePieceModel(Stories260KReference.TokenizerPath);
        using var model = CreateModel(checkpoint, maxBatch: 1, KvPrecision.F16);
        using var cache = model.CreateCache(512);
        var generated = new List<int>();
        model.SetTokens([tokenizer.BosId]);
        for (int pos = 0; pos < reference.GreedyTokens.Length; pos++)
        {
            model.Forward(1, cache);
            generated.Add(model.ArgMaxToInput());
        }
        TestGpu.ThrowIfFaulted();

        int same = generated.Zip(reference.GreedyTokens).TakeWhile(p => p.First == p.Second).Count();
        Console.WriteLine($"[stories260K F16 KV greedy] equal to the F32 reference for {same}/200 tokens; text: {tokenizer.Decode(generated)}");
        Assert.True(same >= 50, $"F16 greedy departs from the reference at token {same}");
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
