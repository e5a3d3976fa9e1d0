using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Hip.Kernels;

/// <summary>Which accelerator a <see cref="Gpu"/> runs on.</summary>
public enum DeviceKind
{
    /// <summary>CUDA when a device is present, else the CPU accelerator; <c>HIP_DEVICE=cuda|cpu</c> forces one.</summary>
    Auto,
    /// <summary>The first CUDA device; an error when there is none.</summary>
    Cuda,
    /// <summary>ILGPU's CPU accelerator with a warp-32 device (slow; for tests and machines without a GPU).</summary>
    Cpu,
}

/// <summary>An ILGPU context and one accelerator, chosen once; owns both.</summary>
public sealed class Gpu : IDisposable
{
    /// <summary>The environment variable that forces a device: <c>cuda</c> or <c>cpu</c>.</summary>
    public const string DeviceVariable = "HIP_DEVICE";

    private static int s_resolverInstalled;

    private readonly Lazy<KernelSet> _kernels;

    public Context Context { get; }
    public Accelerator Accelerator { get; }
    public bool IsCuda => Accelerator.AcceleratorType == AcceleratorType.Cuda;

    /// <summary>The kernels compiled for this accelerator, loaded on first use and shared by every model on it.</summary>
    public KernelSet Kernels => _kernels.Value;

    /// <summary>One line naming the device, e.g. "CUDA NVIDIA H100 80GB HBM3 (SM_90, 79.1 GiB)".</summary>
    public string Description { get; }

    private Gpu(Context context, Accelerator accelerator)
    {
        Context = context;
        Accelerator = accelerator;
        _kernels = new Lazy<KernelSet>(() => new KernelSet(accelerator), LazyThreadSafetyMode.ExecutionAndPublication);
        Description = IsCuda
            ? $"CUDA {accelerator.Name} ({((CudaAccelerator)accelerator).Architecture}, {accelerator.MemorySize / (1024.0 * 1024 * 1024):F1} GiB)"
            : $"ILGPU CPU accelerator (warp {accelerator.WarpSize}, {Environment.ProcessorCount} cores; slow: for tests and machines without a GPU)";
    }

    /// <summary>Creates the accelerator of <paramref name="kind"/>, honouring <c>HIP_DEVICE</c> when kind is Auto.</summary>
    public static Gpu Create(DeviceKind kind = DeviceKind.Auto)
    {
        if (kind == DeviceKind.Auto)
            kind = ParseDeviceVariable(Environment.GetEnvironmentVariable(DeviceVariable));
        if (kind != DeviceKind.Cpu)
        {
            InstallCudaResolver();
            var context = Context.Create(b =>
            {
                b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2);
                if (LaunchProfile.Requested)
                    b.Profiling();   // HIP_PROFILE=1: events between decode launches (LaunchProfile)
            });
            var devices = context.GetCudaDevices();
            if (devices.Count > 0)
                return new Gpu(context, devices[0].CreateAccelerator(context));
            context.Dispose();
            if (kind == DeviceKind.Cuda)
                throw new InvalidOperationException(
                    $"No CUDA device was found ({DeviceVariable}=cuda or DeviceKind.Cuda asked for one). " +
                    "Check that the NVIDIA driver is installed (libcuda.so or libcuda.so.1), or unset the variable to use the CPU.");
        }
        // warp 32 like CUDA; 8 warps a group = 256 threads, which MatMulTiled's 16 x 16 group needs
        var cpuContext = Context.Create(b =>
        {
            b.CPU(new CPUDevice(32, 8, 1)).EnableAlgorithms().Optimize(OptimizationLevel.O2);
            if (LaunchProfile.Requested)
                b.Profiling();
        });
        return new Gpu(cpuContext, cpuContext.CreateCPUAccelerator(0, CPUAcceleratorMode.Parallel));
    }

    internal static DeviceKind ParseDeviceVariable(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => DeviceKind.Auto,
        "cuda" or "gpu" => DeviceKind.Cuda,
        "cpu" => DeviceKind.Cpu,
        _ => throw new ArgumentException($"{DeviceVariable}='{value}' is not a device: use 'cuda', 'cpu' or leave it unset."),
    };

    // ILGPU imports the driver as "cuda", which resolves libcuda.so only; driver-only installs ship libcuda.so.1.
    private static void InstallCudaResolver()
    {
        if (Interlocked.Exchange(ref s_resolverInstalled, 1) == 1 || !OperatingSystem.IsLinux())
            return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, ResolveCuda);
        }
        catch (InvalidOperationException)
        {
            // Another component already installed a resolver for ILGPU; keep it.
        }
    }

    private static IntPtr ResolveCuda(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != "cuda" && name != "libcuda" && name != "libcuda.so")
            return IntPtr.Zero;
        foreach (var candidate in new[] { "libcuda.so", "libcuda.so.1" })
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle))
                return handle;
        return IntPtr.Zero;
    }

    /// <summary>
    /// Free and total bytes of the memory that buffers on this accelerator use: on CUDA the device's, from
    /// <c>cuMemGetInfo</c> (other processes' use included); on the CPU accelerator the machine's RAM: total as the runtime
    /// sees it (container limits included, <c>GC.GetGCMemoryInfo().TotalAvailableMemoryBytes</c>) and free as the kernel's
    /// MemAvailable (Linux) or total less this process's working set elsewhere.
    /// </summary>
    public (long FreeBytes, long TotalBytes) MemoryInfo()
    {
        if (IsCuda)
        {
            using var binding = Accelerator.BindScoped();
            CudaDriver.Check(CudaDriver.MemGetInfo(out long free, out long total), "cuMemGetInfo_v2");
            return (free, total);
        }
        long totalRam = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long freeRam = Math.Max(0, totalRam - Environment.WorkingSet);
        if (OperatingSystem.IsLinux() && ReadMemAvailable() is long available)
            freeRam = Math.Min(available, totalRam);
        return (freeRam, totalRam);
    }

    private static long? ReadMemAvailable()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);   // "MemAvailable: 123 kB"
                    return long.TryParse(parts[1], out long kb) ? kb * 1024 : null;
                }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>Bytes that can still be allocated: <see cref="MemoryInfo"/>'s free bytes.</summary>
    public long AvailableMemoryBytes => MemoryInfo().FreeBytes;

    /// <summary>Waits for all queued work on the default stream.</summary>
    public void Synchronize() => Accelerator.Synchronize();

    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }

    public override string ToString() => Description;

    [Conditional("DEBUG")]
    internal static void Check(bool condition, string message) => Debug.Assert(condition, message);
}
