using System.Runtime.InteropServices;

namespace Hip.Kernels;

/// <summary>
/// The few CUDA driver-API entry points ILGPU 1.5.3 does not expose: stream capture into a graph, graph launch, and
/// device memory info. Resolved from libcuda.so.1 / libcuda.so (nvcuda.dll on Windows) on first use; every call returns
/// the raw CUresult, and <see cref="Check"/> turns a failure into an exception with the driver's own text.
/// The caller makes the accelerator's context current first (ILGPU's <c>Accelerator.BindScoped()</c>).
/// </summary>
internal static unsafe class CudaDriver
{
    /// <summary>CUstreamCaptureMode: THREAD_LOCAL forbids unsafe calls (allocation, synchronize) on the capturing thread only.</summary>
    public const int CaptureModeGlobal = 0, CaptureModeThreadLocal = 1, CaptureModeRelaxed = 2;

    private static readonly Lazy<Api?> s_api = new(LoadApi, LazyThreadSafetyMode.ExecutionAndPublication);

    private sealed class Api
    {
        public delegate* unmanaged<IntPtr, int, int> StreamBeginCapture;
        public delegate* unmanaged<IntPtr, IntPtr*, int> StreamEndCapture;
        public delegate* unmanaged<IntPtr*, IntPtr, ulong, int> GraphInstantiateWithFlags;
        public delegate* unmanaged<IntPtr, IntPtr, int> GraphLaunch;
        public delegate* unmanaged<IntPtr, int> GraphExecDestroy;
        public delegate* unmanaged<IntPtr, int> GraphDestroy;
        public delegate* unmanaged<nuint*, nuint*, int> MemGetInfo;
        public delegate* unmanaged<int, byte**, int> GetErrorString;
    }

    /// <summary>Whether the driver library and every entry point above were found.</summary>
    public static bool IsAvailable => s_api.Value is not null;

    private static Api Functions => s_api.Value ?? throw new InvalidOperationException(
        "The CUDA driver library (libcuda.so.1 or libcuda.so) or one of its graph entry points was not found: " +
        "install the NVIDIA driver (CUDA 12 or newer) or use the CPU accelerator.");

    public static int StreamBeginCapture(IntPtr stream, int mode) => Functions.StreamBeginCapture(stream, mode);

    public static int StreamEndCapture(IntPtr stream, out IntPtr graph)
    {
        IntPtr g = IntPtr.Zero;
        int result = Functions.StreamEndCapture(stream, &g);
        graph = g;
        return result;
    }

    public static int GraphInstantiate(IntPtr graph, out IntPtr exec)
    {
        IntPtr e = IntPtr.Zero;
        int result = Functions.GraphInstantiateWithFlags(&e, graph, 0);
        exec = e;
        return result;
    }

    public static int GraphLaunch(IntPtr exec, IntPtr stream) => Functions.GraphLaunch(exec, stream);

    public static int GraphExecDestroy(IntPtr exec) => Functions.GraphExecDestroy(exec);

    public static int GraphDestroy(IntPtr graph) => Functions.GraphDestroy(graph);

    /// <summary>Free and total bytes of the current context's device.</summary>
    public static int MemGetInfo(out long free, out long total)
    {
        nuint f = 0, t = 0;
        int result = Functions.MemGetInfo(&f, &t);
        free = (long)f;
        total = (long)t;
        return result;
    }

    /// <summary>The driver's description of a CUresult, e.g. "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (900): operation not permitted when stream is capturing".</summary>
    public static string ErrorText(int result)
    {
        if (s_api.Value is not { } api)
            return $"CUresult {result}";
        byte* text = null;
        string description = api.GetErrorString(result, &text) == 0 && text != null
            ? Marshal.PtrToStringUTF8((IntPtr)text) ?? "" : "unknown error";
        return $"CUresult {result}: {description}";
    }

    /// <summary>Throws when <paramref name="result"/> is not CUDA_SUCCESS, naming the call.</summary>
    public static void Check(int result, string call)
    {
        if (result != 0)
            throw new InvalidOperationException($"{call} failed: {ErrorText(result)}.");
    }

    private static Api? LoadApi()
    {
        IntPtr library = IntPtr.Zero;
        string[] candidates = OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"];
        foreach (string candidate in candidates)
            if (NativeLibrary.TryLoad(candidate, out library))
                break;
        if (library == IntPtr.Zero)
            return null;
        IntPtr Export(string name) => NativeLibrary.TryGetExport(library, name, out var address) ? address : IntPtr.Zero;
        var exports = new[]
        {
            Export("cuStreamBeginCapture_v2"), Export("cuStreamEndCapture"), Export("cuGraphInstantiateWithFlags"),
            Export("cuGraphLaunch"), Export("cuGraphExecDestroy"), Export("cuGraphDestroy"), Export("cuMemGetInfo_v2"),
            Export("cuGetErrorString"),
        };
        if (exports.Any(e => e == IntPtr.Zero))
            return null;
        return new Api
        {
            StreamBeginCapture = (delegate* unmanaged<IntPtr, int, int>)exports[0],
            StreamEndCapture = (delegate* unmanaged<IntPtr, IntPtr*, int>)exports[1],
            GraphInstantiateWithFlags = (delegate* unmanaged<IntPtr*, IntPtr, ulong, int>)exports[2],
            GraphLaunch = (delegate* unmanaged<IntPtr, IntPtr, int>)exports[3],
            GraphExecDestroy = (delegate* unmanaged<IntPtr, int>)exports[4],
            GraphDestroy = (delegate* unmanaged<IntPtr, int>)exports[5],
            MemGetInfo = (delegate* unmanaged<nuint*, nuint*, int>)exports[6],
            GetErrorString = (delegate* unmanaged<int, byte**, int>)exports[7],
        };
    }
}
