using System.Runtime.InteropServices;

namespace Hip.Kernels.Tests;

/// <summary>
/// ggml's own dequantizer (<c>to_float</c>) and reference quantizer, from the <c>libggml-base.so</c> that the test-only
/// package LLamaSharp.Backend.Cpu copies into the test output (runtimes/linux-x64/native/&lt;variant&gt;/). Loading
/// fails with a message naming what was searched: the bit-exactness tests fail rather than pass silently.
/// </summary>
internal static unsafe class GgmlOracle
{
    private static readonly Lazy<nint> s_library = new(Load);

    private static nint Load()
    {
        var root = Path.Combine(AppContext.BaseDirectory, "runtimes");
        var candidates = Directory.Exists(root)
            ? Directory.GetFiles(root, "libggml-base.so", SearchOption.AllDirectories)
                .Where(p => p.Contains("linux-x64", StringComparison.Ordinal) && !p.Contains("musl", StringComparison.Ordinal))
                .OrderBy(p => p.Contains("noavx", StringComparison.Ordinal) ? 0 : 1)   // noavx runs on any x64 CPU
                .ToArray()
            : [];
        var errors = new List<string>();
        foreach (var path in candidates)
        {
            if (NativeLibrary.TryLoad(path, out var handle))
                return handle;
            errors.Add(path);
        }
        throw new InvalidOperationException(
            $"ggml's reference library (libggml-base.so from the LLamaSharp.Backend.Cpu package) could not be loaded from {root}: " +
            (candidates.Length == 0 ? "no linux-x64 copy found (was the package restored?)" : "failed: " + string.Join(", ", errors)) +
            ". The bit-exactness tests need it; they do not pass without it.");
    }

    private static nint Traits(int type)
    {
        var get = (delegate* unmanaged<int, nint>)NativeLibrary.GetExport(s_library.Value, "ggml_get_type_traits");
        return get(type);
    }

    /// <summary>ggml's to_float of <paramref name="values"/>.Length values.</summary>
    public static void ToFloat(WeightType type, ReadOnlySpan<byte> blocks, Span<float> values)
    {
        var toFloat = *(delegate* unmanaged<byte*, float*, long, void>*)(Traits((int)type) + 40);
        if (toFloat == null)
            throw new InvalidOperationException($"ggml has no to_float for {type}.");
        fixed (byte* src = blocks)
        fixed (float* dst = values)
            toFloat(src, dst, values.Length);
    }

    /// <summary>ggml's name of the type (type_name).</summary>
    public static string Name(WeightType type) => Marshal.PtrToStringAnsi(*(nint*)Traits((int)type))!;

    /// <summary>ggml's block size and bytes per block.</summary>
    public static (long Values, long Bytes) BlockSize(WeightType type)
    {
        var t = Traits((int)type);
        return (*(long*)(t + 8), *(long*)(t + 24));
    }
}
