using Hip.Kernels;
using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests;

public sealed class AttentionPoliciesTests
{
    [Fact]
    public void Create_HipWithOneDenseLayer_GivesDenseThenHipPerLayer()
    {
        ModelConfig config;
        using (var source = ModelLoader.Open(Stories260KReference.GgufPath))
            config = source.Config;
        var policies = AttentionPolicies.Create(TestGpu.Kernels, config, AttentionKind.Hip, new HipAttentionOptions { DenseLayers = 1 });

        Assert.IsType<DenseAttentionPolicy>(policies(0));
        for (int l = 1; l < config.LayerCount; l++)
            Assert.IsType<HipAttentionPolicy>(policies(l));
        Assert.Same(policies(1), policies(config.LayerCount - 1));   // one HiP instance (one decode state) for all its layers
        ((IDisposable)policies(1)).Dispose();
    }

    [Fact]
    public void Create_Dense_GivesDenseEverywhere()
    {
        ModelConfig config;
        using (var source = ModelLoader.Open(Stories260KReference.GgufPath))
            config = source.Config;
        var policies = AttentionPolicies.Create(TestGpu.Kernels, config, AttentionKind.Dense, new HipAttentionOptions());
        Assert.All(Enumerable.Range(0, config.LayerCount), l => Assert.IsType<DenseAttentionPolicy>(policies(l)));
    }
}
