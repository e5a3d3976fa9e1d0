using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class StepGraphTests
{
    private const int Dim = 64, Replays = 3;
    private const float Eps = 1e-5f;

    // One residual block per step: x += W · (rmsnorm(x) · g), then x's first half gets SwiGLU'd against its second half
    // in a scratch copy that feeds back through a residual add. Each replay reads what the previous one wrote, so the
    // graph must replay the whole chain in order.
    private sealed class Block : IDisposable
    {
        public readonly MemoryBuffer1D<float, Stride1D.Dense> X, Norm, Xb, Y;
        public readonly DeviceMatrix W;
        public readonly float[] Weights;

        public Block(float[] x, float[] norm, DeviceMatrix w, float[] weights)
        {
            var a = TestGpu.Kernels.Accelerator;
            X = a.Allocate1D(x);
            Norm = a.Allocate1D(norm);
            Xb = a.Allocate1D<float>(Dim);
            Y = a.Allocate1D<float>(Dim);
            W = w;
            Weights = weights;
        }

        public void Launches(KernelSet k)
        {
            k.RmsNorm(X.View, Norm.View, Xb.View, 1, Dim, Eps);
            k.MatVec(Xb.View, W, Y.View, 1);
            k.SwiGlu(Y.View.SubView(0, Dim / 2), Y.View.SubView(Dim / 2, Dim / 2), Dim / 2);
            k.ResidualAdd(X.View, Y.View, Dim);
        }

        public void Dispose()
        {
            X.Dispose(); Norm.Dispose(); Xb.Dispose(); Y.Dispose();
        }
    }

    private static void ReferenceStep(float[] x, float[] norm, float[] w)
    {
        var xb = new float[Dim];
        var y = new float[Dim];
        RmsNorm.Reference(x, norm, xb, Dim, Eps);
        MatVec.Reference(xb, w, y, 1, Dim, Dim);
        SwiGlu.Reference(y.AsSpan(0, Dim / 2), y.AsSpan(Dim / 2));
        ResidualAdd.Reference(x, y);
    }

    [Fact]
    public void Launch_ReplayedSteps_EqualEagerRunsAndReference()
    {
        var kernels = TestGpu.Kernels;
        var x = TestData.Random(Dim);
        var norm = TestData.Random(Dim).Select(v => 1f + 0.5f * v).ToArray();
        using var w = TestData.RandomMatrix(WeightFormat.F16, Dim, Dim, out var weights);
        using var eager = new Block(x, norm, w, weights);
        using var graphed = new Block(x, norm, w, weights);

        for (int i = 0; i < Replays; i++)
            eager.Launches(kernels);
        graphed.Launches(kernels);   // warm-up: on-demand buffers exist before capture
        using (var step = StepGraph.Capture(kernels, () => graphed.Launches(kernels)))
        {
            Assert.Equal(kernels.Accelerator.AcceleratorType == AcceleratorType.Cuda && step.FallbackReason is null, step.IsGraph);
            for (int i = 1; i < Replays; i++)
                step.Launch();
            kernels.Synchronize();
        }
        TestGpu.ThrowIfFaulted();

        var expected = x.ToArray();
        for (int i = 0; i < Replays; i++)
            ReferenceStep(expected, norm, weights);
        var fromEager = eager.X.GetAsArray1D();
        var fromGraph = graphed.X.GetAsArray1D();
        Assert.Equal(fromEager, fromGraph);   // same kernels, same launches: bit-identical
        Assert.NotEqual(x, fromGraph);        // the steps did run
        // f32 accumulation over 64 terms per step, 3 steps; the GPU's approximate exp in SwiGLU: 1e-4 relative.
        TestData.AssertClose(expected, fromGraph, 1e-4, 1e-3, "x after three steps");
    }

    [Fact]
    public void Capture_OnCpuAccelerator_RunsEagerlyAndSaysWhy()
    {
        if (TestGpu.Gpu.IsCuda)
            return;   // the CUDA path is covered by the test above under the GPU runner
        int calls = 0;
        using var step = StepGraph.Capture(TestGpu.Kernels, () => calls++);
        Assert.Equal(0, calls);   // capture records, it does not run
        Assert.False(step.IsGraph);
        Assert.Contains("CPU", step.FallbackReason);
        step.Launch();
        step.Launch();
        Assert.Equal(2, calls);
    }

    [Fact]
    public void Launch_AfterDispose_Throws()
    {
        var step = StepGraph.Capture(TestGpu.Kernels, () => { });
        step.Dispose();
        Assert.Throws<ObjectDisposedException>(step.Launch);
    }

    [Fact]
    public void Capture_ActionThatSynchronizes_FallsBackWithReasonAndStillRuns()
    {
        if (!TestGpu.Gpu.IsCuda)
            return;   // nothing is captured on the CPU accelerator (see Capture_OnCpuAccelerator_RunsEagerlyAndSaysWhy)
        var kernels = TestGpu.Kernels;
        var x = TestData.Random(Dim);
        using var buffer = kernels.Accelerator.Allocate1D(x);
        using var ones = kernels.Accelerator.Allocate1D(Enumerable.Repeat(1f, Dim).ToArray());

        using var step = StepGraph.Capture(kernels, () =>
        {
            kernels.ResidualAdd(buffer.View, ones.View, Dim);
            kernels.Synchronize();   // forbidden while capturing
        });
        Assert.False(step.IsGraph);
        Assert.NotNull(step.FallbackReason);
        step.Launch();
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(x.Select(v => v + 1f).ToArray(), buffer.GetAsArray1D(), 0, 0, "x + 1 from the eager run");
    }
}
