using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests;

public sealed class SamplerTests
{
    [Fact]
    public void Sample_TopKOne_AlwaysPicksTheLargestLogit()
    {
        var sampler = new Sampler(5);
        var random = new Random(1);
        for (int i = 0; i < 50; i++)
            Assert.Equal(3, sampler.Sample(new float[] { 0.1f, 2f, -1f, 2.5f, 2.4f }, new SamplingParams { Temperature = 1f, TopK = 1 }, random));
    }

    [Fact]
    public void Sample_TopP_NeverPicksOutsideTheNucleus()
    {
        // probabilities ∝ e^{4,3,0,-5}: the first two hold > 95 % of the mass, so top-p 0.9 keeps only them
        var sampler = new Sampler(4);
        var random = new Random(2);
        var picks = new HashSet<int>();
        for (int i = 0; i < 500; i++)
            picks.Add(sampler.Sample(new float[] { 4f, 3f, 0f, -5f }, new SamplingParams { Temperature = 1f, TopP = 0.9f }, random));
        Assert.Equal(new HashSet<int> { 0, 1 }, picks);
    }

    [Fact]
    public void Sample_Temperature1_FollowsTheSoftmaxDistribution()
    {
        var sampler = new Sampler(3);
        var random = new Random(3);
        var counts = new int[3];
        const int draws = 20000;
        for (int i = 0; i < draws; i++)
            counts[sampler.Sample(new float[] { 0f, MathF.Log(2f), MathF.Log(5f) }, new SamplingParams { Temperature = 1f }, random)]++;
        // expected 1/8, 2/8, 5/8; 4 standard deviations of a binomial at n = 20000 is under 0.015
        Assert.InRange(counts[0] / (double)draws, 0.125 - 0.015, 0.125 + 0.015);
        Assert.InRange(counts[1] / (double)draws, 0.25 - 0.015, 0.25 + 0.015);
        Assert.InRange(counts[2] / (double)draws, 0.625 - 0.015, 0.625 + 0.015);
    }

    [Fact]
    public void Sample_PresencePenalty_SteersGreedyAwayFromAnEmittedToken()
    {
        var sampler = new Sampler(3);
        var p = new SamplingParams { Temperature = 0f, PresencePenalty = 2f };
        Assert.Equal(0, sampler.Sample(new float[] { 3f, 2f, 0f }, p, new Random(0)));
        sampler.Accept(0);
        Assert.Equal(1, sampler.Sample(new float[] { 3f, 2f, 0f }, p, new Random(0)));
        sampler.Reset();
        Assert.Equal(0, sampler.Sample(new float[] { 3f, 2f, 0f }, p, new Random(0)));
    }

    [Fact]
    public void Sample_MinP_DropsUnlikelyTokens()
    {
        // p ∝ e^{0, -1, -5}: relative to the top token 1, 0.37, 0.0067; min-p 0.1 keeps {0, 1}
        var sampler = new Sampler(3);
        var random = new Random(4);
        var picks = new HashSet<int>();
        for (int i = 0; i < 2000; i++)
            picks.Add(sampler.Sample(new float[] { 0f, -1f, -5f }, new SamplingParams { Temperature = 1f, MinP = 0.1f }, random));
        Assert.Equal(new HashSet<int> { 0, 1 }, picks);
    }

    [Theory]
    [InlineData(1e-38f)]    // 1/T overflows: scaling before subtracting the maximum gave ∞ - ∞ = NaN
    [InlineData(1e-5f)]     // below SamplingParams.GreedyBelowTemperature
    public void Sample_TinyTemperature_ActsGreedily(float temperature)
    {
        var sampler = new Sampler(64);
        var random = new Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            var logits = TestData.Random(64, scale: 10f);
            int expected = Hip.Kernels.ArgMax.Reference(logits);
            Assert.Equal(expected, sampler.Sample(logits, new SamplingParams { Temperature = temperature }, random));
        }
    }

    [Fact]
    public void Sample_HugeLogitsAtASmallTemperature_ScalesAfterSubtractingTheMaximum()
    {
        // logits ~1e35 at T = 2e-4: logit/T overflows float, (logit - max)/T does not; the top token holds all the mass
        var sampler = new Sampler(32);
        var random = new Random(6);
        for (int trial = 0; trial < 20; trial++)
        {
            var logits = TestData.Random(32, scale: 1e35f);
            int expected = Hip.Kernels.ArgMax.Reference(logits);
            Assert.Equal(expected, sampler.Sample(logits, new SamplingParams { Temperature = 2e-4f }, random));
        }
    }

    [Theory]
    [InlineData(float.NaN, 0f)]
    [InlineData(float.NaN, 0.8f)]
    [InlineData(float.PositiveInfinity, 0.8f)]
    public void Sample_NonFiniteLogit_ThrowsNamingTokenAndPosition(float bad, float temperature)
    {
        var sampler = new Sampler(40);
        var logits = TestData.Random(40);
        logits[17] = bad;

        var e = Assert.Throws<NonFiniteLogitsException>(() => sampler.Sample(logits, new SamplingParams { Temperature = temperature }, new Random(7), position: 123));

        Assert.Equal(17, e.TokenId);
        Assert.Equal(123, e.Position);
        Assert.Contains("position 123", e.Message);
    }

    [Fact]
    public void Sample_EveryLogitNegativeInfinity_Throws()
    {
        var logits = new float[8];
        Array.Fill(logits, float.NegativeInfinity);

        Assert.Throws<NonFiniteLogitsException>(() => new Sampler(8).Sample(logits, SamplingParams.Greedy, new Random(8)));
    }

    [Fact]
    public void Sample_SomeLogitsNegativeInfinity_AreOnlyImpossible()
    {
        var logits = TestData.Random(8);
        logits[2] = logits[5] = float.NegativeInfinity;
        var sampler = new Sampler(8);
        var random = new Random(9);
        for (int i = 0; i < 200; i++)
            Assert.DoesNotContain(sampler.Sample(logits.ToArray(), new SamplingParams { Temperature = 1f }, random), new[] { 2, 5 });
    }
}
