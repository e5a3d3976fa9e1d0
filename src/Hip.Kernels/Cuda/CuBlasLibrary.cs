using System.Runtime.InteropServices;

namespace Hip.Kernels;

/// <summary>
/// cuBLAS found and loaded at run time (no build-time dependency, nothing from ILGPU.Algorithms, whose wrapper knows
/// neither libcublas.so.13 nor cublasGemmEx): libcublasLt first, then libcublas, each tried as .so.13, .so.12 and .so
/// through the loader's search path (LD_LIBRARY_PATH) and then in the usual folders: $CUDA_HOME/lib64,
/// /usr/local/cuda/lib64 and the nvidia pip wheels of a Python environment (PyTorch's). Loaded once per process; when
/// nothing loads, <see cref="IsAvailable"/> is false and <see cref="UnavailableReason"/> says what was tried.
/// </summary>
public static class CuBlasLibrary
{
    /// <summary>cublasStatus_t CUBLAS_STATUS_SUCCESS.</summary>
    public const int Success = 0;
    /// <summary>cublasOperation_t.</summary>
    public const int OperationNone = 0, OperationTranspose = 1;
    /// <summary>cudaDataType_t: CUDA_R_32F, CUDA_R_16F, CUDA_R_16BF.</summary>
    public const int DataFloat32 = 0, DataFloat16 = 2, DataBFloat16 = 14;
    /// <summary>cublasComputeType_t CUBLAS_COMPUTE_32F.</summary>
    public const int Compute32F = 68;
    /// <summary>cublasGemmAlgo_t CUBLAS_GEMM_DEFAULT.</summary>
    public const int GemmDefault = -1;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int CreateFunction(out IntPtr handle);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int DestroyFunction(IntPtr handle);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int SetStreamFunction(IntPtr handle, IntPtr stream);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int GetVersionFunction(IntPtr handle, out int version);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int GemmExFunction(IntPtr handle, int transa, int transb, int m, int n, int k,
        ref float alpha, IntPtr a, int aType, int lda, IntPtr b, int bType, int ldb,
        ref float beta, IntPtr c, int cType, int ldc, int computeType, int algo);

    private static readonly Lazy<Loaded?> s_loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    private static string s_reason = "";

    /// <summary>True when libcublas loaded and exports what we call.</summary>
    public static bool IsAvailable => s_loaded.Value is not null;

    /// <summary>Why cuBLAS is not available (the names and folders tried), or "" when it is.</summary>
    public static string UnavailableReason => IsAvailable ? "" : s_reason;

    /// <summary>The file that was loaded, or null.</summary>
    public static string? LoadedPath => s_loaded.Value?.Path;

    internal static Loaded Functions => s_loaded.Value
        ?? throw new InvalidOperationException($"cuBLAS is not available: {s_reason}");

    internal sealed record Loaded(string Path, CreateFunction Create, DestroyFunction Destroy, SetStreamFunction SetStream,
        GetVersionFunction GetVersion, GemmExFunction GemmEx);

    /// <summary>The folders searched after the loader's own path, in order.</summary>
    public static IReadOnlyList<string> SearchFolders()
    {
        var folders = new List<string>();
        if (Environment.GetEnvironmentVariable("CUDA_HOME") is { Length: > 0 } cudaHome)
            folders.Add(Path.Combine(cudaHome, "lib64"));
        folders.Add("/usr/local/cuda/lib64");
        foreach (var root in new[] { "/opt/torch/.venv/lib", "/usr/local/lib", "/usr/lib", Environment.GetEnvironmentVariable("VIRTUAL_ENV") is { Length: > 0 } v ? Path.Combine(v, "lib") : null })
        {
            if (root is null || !Directory.Exists(root))
                continue;
            foreach (var python in SafeDirectories(root, "python3*"))
                foreach (var packages in new[] { "site-packages", "dist-packages" })
                {
                    string nvidia = Path.Combine(python, packages, "nvidia");
                    folders.Add(Path.Combine(nvidia, "cublas", "lib"));
                    foreach (var cu in SafeDirectories(nvidia, "cu*"))
                        folders.Add(Path.Combine(cu, "lib"));
                }
        }
        return folders.Where(Directory.Exists).Distinct().ToList();
    }

    private static IEnumerable<string> SafeDirectories(string folder, string pattern)
    {
        try { return Directory.Exists(folder) ? Directory.GetDirectories(folder, pattern).Order(StringComparer.Ordinal).ToArray() : []; }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    private static Loaded? Load()
    {
        if (!OperatingSystem.IsLinux())
        {
            s_reason = "cuBLAS is only looked up on Linux (libcublas.so.*).";
            return null;
        }
        string[] versions = [".so.13", ".so.12", ".so"];
        var folders = new List<string?> { null };   // null: the loader's own search path
        folders.AddRange(SearchFolders());
        var tried = new List<string>();
        foreach (var folder in folders)
            foreach (var version in versions)
            {
                string name = "libcublas" + version, lt = "libcublasLt" + version;
                string path = folder is null ? name : Path.Combine(folder, name);
                if (folder is not null && !File.Exists(path))
                    continue;
                tried.Add(path);
                // libcublas needs libcublasLt of the same version: load it from the same folder first
                NativeLibrary.TryLoad(folder is null ? lt : Path.Combine(folder, lt), out _);
                if (!NativeLibrary.TryLoad(path, out var handle))
                    continue;
                try
                {
                    return new Loaded(path,
                        Get<CreateFunction>(handle, "cublasCreate_v2"), Get<DestroyFunction>(handle, "cublasDestroy_v2"),
                        Get<SetStreamFunction>(handle, "cublasSetStream_v2"), Get<GetVersionFunction>(handle, "cublasGetVersion_v2"),
                        Get<GemmExFunction>(handle, "cublasGemmEx"));
                }
                catch (EntryPointNotFoundException e)
                {
                    tried[^1] += $" (loaded, but {e.Message})";
                }
            }
        s_reason = $"no libcublas loaded; tried {string.Join(", ", tried)} (searched the loader path, then {string.Join(", ", folders.Skip(1))}). " +
            "Install the CUDA toolkit or the nvidia-cublas pip wheel, or add its lib folder to LD_LIBRARY_PATH.";
        return null;
    }

    private static T Get<T>(IntPtr library, string name) where T : Delegate =>
        Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(library, name));
}
