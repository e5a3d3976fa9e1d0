using System.Diagnostics;
using Hip.Kernels;

namespace Hip.TestSupport;

/// <summary>
/// The one accelerator all tests share: the CPU accelerator in CI, CUDA under the GPU runner (HIP_DEVICE=cuda).
/// Out-of-bounds view accesses on the CPU accelerator raise Trace.Assert, which would kill the test host; they are
/// recorded instead and <see cref="ThrowIfFaulted"/> turns them into a test failure.
/// </summary>
public static class TestGpu
{
    private static readonly Lazy<Gpu> s_gpu = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly RecordingTraceListener s_listener = new();

    public static Gpu Gpu => s_gpu.Value;
    public static KernelSet Kernels => s_gpu.Value.Kernels;

    private static readonly Dictionary<KernelVariant, KernelSet> s_variants = [];

    /// <summary>
    /// The kernels of one variant on the shared accelerator, so a test can check the grouped (GPU) and per-thread (CPU)
    /// forms whatever the device; Auto is <see cref="Kernels"/>.
    /// </summary>
    public static KernelSet KernelsOf(KernelVariant variant)
    {
        if (variant == KernelVariant.Auto || variant == Kernels.Variant)
            return Kernels;
        lock (s_variants)
        {
            if (!s_variants.TryGetValue(variant, out var set))
                s_variants[variant] = set = new KernelSet(Gpu.Accelerator, variant);
            return set;
        }
    }

    private static Gpu Create()
    {
        Trace.Listeners.Clear();
        Trace.Listeners.Add(s_listener);
        var gpu = Gpu.Create();
        Console.WriteLine($"[tests] device: {gpu.Description}");
        return gpu;
    }

    /// <summary>Synchronizes and fails if any kernel hit an assertion (out-of-bounds access) since the last call.</summary>
    public static void ThrowIfFaulted()
    {
        Gpu.Synchronize();
        var failures = s_listener.Drain();
        if (failures.Count > 0)
            throw new Xunit.Sdk.XunitException("Kernel assertion failures: " + string.Join("; ", failures));
    }

    private sealed class RecordingTraceListener : TraceListener
    {
        private readonly List<string> _failures = [];

        public override void Write(string? message) { }
        public override void WriteLine(string? message) { }
        public override void Fail(string? message, string? detailMessage)
        {
            lock (_failures)
                _failures.Add($"{message} {detailMessage}".Trim());
        }

        public List<string> Drain()
        {
            lock (_failures)
            {
                var copy = _failures.ToList();
                _failures.Clear();
                return copy;
            }
        }
    }
}
