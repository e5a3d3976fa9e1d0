using ILGPU.Runtime.Cuda;

namespace Hip.Kernels;

/// <summary>
/// A sequence of kernel launches recorded once as a CUDA graph and replayed with one driver call, which removes the
/// per-kernel launch cost of a decode step. On the CPU accelerator, when <c>HIP_CUDA_GRAPH=0</c>, or when capture
/// fails (the reason is kept in <see cref="FallbackReason"/>), <see cref="Launch"/> simply runs the action again.
/// </summary>
/// <remarks>
/// Rules for the captured action (CUDA stream-capture semantics):
/// <list type="bullet">
/// <item>Launch only on <see cref="KernelSet.Stream"/>; work on any other stream (or ILGPU's default stream) is not recorded.</item>
/// <item>No allocation, no synchronize, no read back, no host copy from pageable (ordinary managed) memory inside: each
/// invalidates the capture. Grow on-demand buffers first by running the action once eagerly before capturing.</item>
/// <item>Arguments are baked in at capture time: buffer addresses, lengths, positions, counts. Whatever changes from one
/// step to the next (the token id, the position, the KV length) must live in device memory that the kernels read, or the
/// graph must be captured again for the new values.</item>
/// <item>Buffers the graph uses must outlive it; disposing one and allocating another at the same address is not safe to rely on.</item>
/// </list>
/// ILGPU 1.5.3 launches a kernel with a context bind (<c>cuCtxSetCurrent</c>, not a stream operation) followed by
/// <c>cuLaunchKernel</c> on the given stream, and nothing synchronous, so its launchers are capturable as they are.
/// The capture uses THREAD_LOCAL mode: only unsafe calls made by the capturing thread invalidate it.
/// </remarks>
public sealed class StepGraph : IDisposable
{
    /// <summary>Set to <c>0</c> to turn graph capture off (every <see cref="Launch"/> runs the launches eagerly).</summary>
    public const string GraphVariable = "HIP_CUDA_GRAPH";

    private readonly KernelSet _kernels;
    private readonly Action _launches;
    private IntPtr _graph;
    private IntPtr _exec;
    private bool _disposed;

    private StepGraph(KernelSet kernels, Action launches, string? fallbackReason)
    {
        _kernels = kernels;
        _launches = launches;
        FallbackReason = fallbackReason;
    }

    /// <summary>True when <see cref="Launch"/> replays a CUDA graph; false when it runs the action eagerly.</summary>
    public bool IsGraph => _exec != IntPtr.Zero;

    /// <summary>Why this step runs eagerly (CPU accelerator, disabled, or the driver's capture error); null when it is a graph.</summary>
    public string? FallbackReason { get; private set; }

    /// <summary>
    /// Records every launch <paramref name="launches"/> makes on <paramref name="kernels"/>' stream into a graph,
    /// without running them (on CUDA). Run the action once eagerly beforehand if it grows buffers on first use.
    /// When the driver refuses the capture (or the action throws during it), the step falls back to eager runs and
    /// <see cref="FallbackReason"/> says why.
    /// </summary>
    public static StepGraph Capture(KernelSet kernels, Action launches)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        ArgumentNullException.ThrowIfNull(launches);
        if (kernels.Stream is not CudaStream stream)
            return new StepGraph(kernels, launches, "the CPU accelerator has no graphs: the launches run eagerly");
        if (Environment.GetEnvironmentVariable(GraphVariable)?.Trim() == "0")
            return new StepGraph(kernels, launches, $"{GraphVariable}=0 turned graph capture off");
        if (!CudaDriver.IsAvailable)
            return new StepGraph(kernels, launches, "the CUDA driver's graph entry points were not found");
        var step = new StepGraph(kernels, launches, null);
        step.Record(stream);
        return step;
    }

    private void Record(CudaStream stream)
    {
        using var binding = _kernels.Accelerator.BindScoped();
        _kernels.Synchronize();   // earlier work must not end up in the graph
        int begin = CudaDriver.StreamBeginCapture(stream.StreamPtr, CudaDriver.CaptureModeThreadLocal);
        if (begin != 0)
        {
            FallbackReason = $"cuStreamBeginCapture failed ({CudaDriver.ErrorText(begin)}): the launches run eagerly";
            return;
        }
        try
        {
            _launches();
        }
        catch (Exception e)
        {
            // ILGPU throws when the driver refuses a call during capture (a synchronize, an allocation); a genuine bug in
            // the action throws again from the eager run in Launch.
            if (CudaDriver.StreamEndCapture(stream.StreamPtr, out var broken) == 0 && broken != IntPtr.Zero)
                CudaDriver.GraphDestroy(broken);
            FallbackReason = $"the launches threw during capture ({e.GetType().Name}: {e.Message}): they run eagerly";
            return;
        }
        int end = CudaDriver.StreamEndCapture(stream.StreamPtr, out _graph);
        if (end != 0 || _graph == IntPtr.Zero)
        {
            FallbackReason = $"cuStreamEndCapture failed ({CudaDriver.ErrorText(end)}; a synchronize, allocation or " +
                "pageable host copy inside the step invalidates the capture): the launches run eagerly";
            _graph = IntPtr.Zero;
            return;
        }
        int instantiate = CudaDriver.GraphInstantiate(_graph, out _exec);
        if (instantiate != 0)
        {
            FallbackReason = $"cuGraphInstantiateWithFlags failed ({CudaDriver.ErrorText(instantiate)}): the launches run eagerly";
            CudaDriver.GraphDestroy(_graph);
            _graph = _exec = IntPtr.Zero;
        }
    }

    /// <summary>Queues the recorded launches on <see cref="KernelSet.Stream"/> (one driver call), or runs the action eagerly.</summary>
    public void Launch()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_exec == IntPtr.Zero)
        {
            _launches();
            return;
        }
        using var binding = _kernels.Accelerator.BindScoped();
        CudaDriver.Check(CudaDriver.GraphLaunch(_exec, ((CudaStream)_kernels.Stream).StreamPtr), "cuGraphLaunch");
    }

    /// <summary>Frees the graph (after the stream has finished its last launch).</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (_exec == IntPtr.Zero && _graph == IntPtr.Zero)
            return;
        using var binding = _kernels.Accelerator.BindScoped();
        _kernels.Synchronize();
        if (_exec != IntPtr.Zero)
            CudaDriver.GraphExecDestroy(_exec);
        if (_graph != IntPtr.Zero)
            CudaDriver.GraphDestroy(_graph);
        _exec = _graph = IntPtr.Zero;
    }
}
