using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels;

/// <summary>Which form of the reduction kernels (RMS norm, mat-vec, attention, argmax) a <see cref="KernelSet"/> launches.</summary>
public enum KernelVariant
{
    /// <summary>Grouped on CUDA, per-thread on the CPU accelerator.</summary>
    Auto,
    /// <summary>Warps and groups cooperating through shuffles and barriers: the GPU form.</summary>
    Grouped,
    /// <summary>One thread per output with no shuffles or barriers: the CPU accelerator's form, where a barrier is an OS-thread rendezvous.</summary>
    PerThread,
}

/// <summary>
/// Every kernel loaded once for one accelerator, each wrapped in a method that checks shapes (Debug.Assert) and
/// computes the launch. Every launch goes to <see cref="Stream"/>, the set's own stream, so that a whole decode step can
/// be captured as one CUDA graph; nothing here copies to or from the host. The class is split over several files
/// (KernelSet.*.cs), one per family of kernels.
/// </summary>
public sealed partial class KernelSet
{
    // Legend: x activations, w weights, q/k/v attention projections, t token, h head, g KV head.
    private readonly Accelerator _accelerator;
    private readonly AcceleratorStream _stream;
    private readonly int _reduceGroup;   // threads for one-group-per-row reductions
    private readonly int _rowGroup;      // threads of the single-row reductions of a decode step (norm, argmax): latency bound
    private readonly int _warpsPerGroup; // warps per group for warp-per-output kernels

    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float> _rmsNorm;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> _swiGlu;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> _residualAdd;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<int>, int, int> _argMax;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float> _rmsNormPerThread;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, int, int> _argMaxPerThread;

    /// <summary>Rows from which <see cref="MatMul"/> switches from the warp-per-output kernel to the tiled one.</summary>
    public int TiledMatMulMinRows { get; }

    public Accelerator Accelerator => _accelerator;

    /// <summary>
    /// The stream every kernel of this set runs on. On CUDA a blocking stream of its own (ordered with the legacy default
    /// stream, so plain copies before and after stay ordered; capturable as a graph); on the CPU the default stream.
    /// Hot-path copies (token ids in, sampled ids and logits out) go through it too.
    /// </summary>
    public AcceleratorStream Stream => _stream;

    /// <summary>Per-launch GPU timing of eager decode steps when the context was created with profiling (HIP_PROFILE=1); else null.</summary>
    public LaunchProfile? Profile { get; }

    /// <summary>Records a profiling marker after a launch when a profiled step is running.</summary>
    internal void Mark(string label) => Profile?.Mark(label);

    /// <summary>The variant this set launches (never Auto).</summary>
    public KernelVariant Variant { get; }

    public KernelSet(Accelerator accelerator, KernelVariant variant = KernelVariant.Auto)
    {
        _accelerator = accelerator;
        bool cuda = accelerator.AcceleratorType == ILGPU.Runtime.AcceleratorType.Cuda;
        _stream = accelerator is ILGPU.Runtime.Cuda.CudaAccelerator cudaAccelerator
            ? cudaAccelerator.CreateStream(ILGPU.Runtime.Cuda.StreamFlags.CU_STREAM_DEFAULT)
            : accelerator.DefaultStream;
        if (accelerator.Context.Properties.EnableProfiling)
            Profile = new LaunchProfile(_stream);
        Variant = variant != KernelVariant.Auto ? variant : cuda ? KernelVariant.Grouped : KernelVariant.PerThread;
        int warp = accelerator.WarpSize;
        // The CPU accelerator runs one OS thread per simulated thread: small groups are far faster there.
        _reduceGroup = cuda ? 256 : warp;
        _rowGroup = cuda ? 1024 : warp;
        _warpsPerGroup = cuda ? 4 : 1;
        TiledMatMulMinRows = cuda ? 8 : int.MaxValue;

        var a = accelerator;
        LoadWeightKernels(a);
        _rmsNorm = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(Kernels.RmsNorm.Kernel);
        _swiGlu = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(Kernels.SwiGlu.Kernel);
        _residualAdd = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(Kernels.ResidualAdd.Kernel);
        _argMax = a.LoadKernel<ArrayView<float>, ArrayView<int>, int, int>(Kernels.ArgMax.Kernel);
        _rmsNormPerThread = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(Kernels.RmsNorm.PerThreadKernel);
        _argMaxPerThread = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, int, int>(Kernels.ArgMax.PerThreadKernel);
        LoadAttentionKernels();
    }

    /// <summary>Waits until every kernel queued on <see cref="Stream"/> has finished.</summary>
    public void Synchronize() => _stream.Synchronize();

    private static int CeilDiv(long a, int b) => checked((int)((a + b - 1) / b));

    /// <summary>y = rmsnorm(x) · weight per row. x, y: [rows, dim] (may alias)   weight: [dim].</summary>
    public void RmsNorm(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> y, int rows, int dim, float eps)
    {
        Debug.Assert(x.Length >= (long)rows * dim && y.Length >= (long)rows * dim && weight.Length >= dim, "RmsNorm: shapes");
        if (Variant == KernelVariant.PerThread)
            _rmsNormPerThread(_stream, rows, x, weight, y, dim, eps);
        else
            _rmsNorm(_stream, new KernelConfig(rows, rows <= 8 ? _rowGroup : _reduceGroup), x, weight, y, dim, eps);
        Mark("RmsNorm");
    }

    /// <summary>gate = silu(gate) · up over the first n elements.</summary>
    public void SwiGlu(ArrayView<float> gate, ArrayView<float> up, int n)
    {
        _swiGlu(_stream, n, gate, up);
        Mark("SwiGlu");
    }

    /// <summary>x += y over the first n elements.</summary>
    public void ResidualAdd(ArrayView<float> x, ArrayView<float> y, int n)
    {
        _residualAdd(_stream, n, x, y);
        Mark("ResidualAdd");
    }

    /// <summary>result[slot] = argmax of values[0..n).</summary>
    public void ArgMax(ArrayView<float> values, int n, ArrayView<int> result, int slot)
    {
        Debug.Assert(values.Length >= n && slot < result.Length, "ArgMax: shapes");
        if (Variant == KernelVariant.PerThread)
            _argMaxPerThread(_stream, 1, values, result, n, slot);
        else
            _argMax(_stream, new KernelConfig(1, _rowGroup), values, result, n, slot);
        Mark("ArgMax");
    }
}
