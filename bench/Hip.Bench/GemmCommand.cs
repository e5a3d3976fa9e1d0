using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Hip.Kernels;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Hip.Bench;

/// <summary>
/// "gemm": the prefill GEMM y [T, m] = x [T, k] · W [m, k]ᵀ (fp16 and bf16 in, float32 out) at the Llama-3.1-8B
/// projection shapes, our tensor-core kernel (<see cref="GemmTc"/>) against cublasGemmEx (<see cref="CuBlasGemm"/>).
/// Inputs are random on the device; each timing is the median of --runs samples after --warmup calls, a sample being
/// the mean of --inner back-to-back calls between two synchronizations. --check first runs every backend at small edge
/// shapes against the float64 reference and compares mma with cuBLAS on the first rows of every timed shape.
/// --ptx PATH writes our kernels' PTX (bf16; PATH.wide.ptx, PATH.narrow.ptx) for ptxas. --shape-divisor D divides every k and m by D (a smoke run on the
/// CPU accelerator, where --check also keeps to its smallest shape).
/// Usage: Hip.Bench gemm [--rows T] [--device cuda|cpu] [--warmup N] [--runs N] [--inner N] [--check] [--ptx PATH] [--shape-divisor D]
/// </summary>
internal sealed class GemmCommand : Command
{
    // (name, k, m): q and o, k and v, gate and up, down
    private static readonly (string Name, int K, int M)[] s_shapes =
        [("q,o", 4096, 4096), ("k,v", 4096, 1024), ("gate,up", 4096, 14336), ("down", 14336, 4096)];

    private readonly Option<int> _rows = BenchCommandLine.Option("--rows", 8192, "Rows T of x (prompt tokens).");
    private readonly Option<string> _device = BenchCommandLine.Choice("--device", "The ILGPU accelerator.", "cuda", "cpu");
    private readonly Option<int> _warmup = BenchCommandLine.Option("--warmup", 3, "Untimed calls first.");
    private readonly Option<int> _runs = BenchCommandLine.Option("--runs", 10, "Timed samples (the median is reported).");
    private readonly Option<int> _inner = BenchCommandLine.Option("--inner", 3, "Back-to-back calls per sample.");
    private readonly Option<bool> _check = new("--check") { Description = "Check every backend at small edge shapes against float64 first, and mma against cuBLAS." };
    private readonly Option<string?> _ptx = new("--ptx") { Description = "Write our kernels' PTX (bf16) to PATH.wide.ptx and PATH.narrow.ptx.", HelpName = "PATH" };
    private readonly Option<int> _shapeDivisor = BenchCommandLine.Option("--shape-divisor", 1, "Divide every k and m by this (a smoke run on the CPU accelerator).");

    public GemmCommand() : base("gemm",
        "The prefill GEMM y = x·Wᵀ (fp16 and bf16 in, float32 out) at the Llama-3.1-8B projection shapes: our tensor-core " +
        "kernel against cublasGemmEx; JSON on stdout.")
    {
        foreach (var option in new Option[] { _rows, _device, _warmup, _runs, _inner, _check, _ptx, _shapeDivisor })
            Options.Add(option);
        SetAction(Run);
    }

    private int Run(ParseResult c)
    {
        int rows = c.GetValue(_rows), warmup = c.GetValue(_warmup), runs = c.GetValue(_runs), inner = c.GetValue(_inner);
        string device = c.GetValue(_device)!;
        int divisor = c.GetValue(_shapeDivisor);
        bool check = c.GetValue(_check);
        string? ptxPath = c.GetValue(_ptx);
        if (rows <= 0 || runs <= 0 || inner <= 0 || divisor <= 0 || s_shapes.Any(s => s.K / divisor % GemmTc.KMultiple != 0))
            throw new UsageException($"--rows, --runs, --inner and --shape-divisor must be positive, and k / divisor a multiple of {GemmTc.KMultiple}.");

        if (ptxPath is not null)
        {
            File.WriteAllText(ptxPath + ".wide.ptx", Ptx(nameof(GemmTc.KernelBF16)));
            File.WriteAllText(ptxPath + ".narrow.ptx", Ptx(nameof(GemmTc.KernelNarrowBF16)));
        }
        using var gpu = Gpu.Create(device == "cuda" ? DeviceKind.Cuda : DeviceKind.Cpu);
        var accelerator = gpu.Accelerator;
        var kernels = new KernelSet(accelerator);
        var report = new Dictionary<string, object?>
        {
            ["command"] = "gemm", ["device"] = gpu.Description, ["date"] = DateTime.UtcNow.ToString("u"), ["rows"] = rows,
            ["warmup"] = warmup, ["runs"] = runs, ["inner"] = inner, ["autoBackend"] = kernels.GemmBackend.ToString(),
            ["fallbackReason"] = kernels.GemmFallbackReason, ["cublas"] = CuBlasLibrary.LoadedPath ?? CuBlasLibrary.UnavailableReason,
        };
        bool cuBlas = gpu.IsCuda && CuBlasLibrary.IsAvailable;
        if (cuBlas)
        {
            using var probe = new CuBlasGemm(kernels.Stream);
            report["cublasVersion"] = probe.Version;
        }
        if (check)
        {
            report["check"] = CheckSmall(kernels, cuBlas, gpu.IsCuda);
            Console.Error.WriteLine(JsonSerializer.Serialize(report["check"]));
        }

        var fill = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ushort>, uint, int>(FillKernel);
        var results = new List<Dictionary<string, object>>();
        foreach (bool bf16 in new[] { true, false })
            foreach (var (name, fullK, fullM) in s_shapes)
            {
                int k = fullK / divisor, m = fullM / divisor;
                using var x = accelerator.Allocate1D<ushort>((long)rows * k);
                using var w = accelerator.Allocate1D<ushort>((long)m * k);
                using var y = accelerator.Allocate1D<float>((long)rows * m);
                fill((int)x.Length, x.View, 1u, bf16 ? 1 : 0);
                fill((int)w.Length, w.View, 2u, bf16 ? 1 : 0);
                accelerator.Synchronize();
                double flop = 2.0 * rows * k * m;
                var row = new Dictionary<string, object> { ["shape"] = name, ["k"] = k, ["m"] = m, ["format"] = bf16 ? "bf16" : "fp16" };
                double mmaMs = Time(kernels, warmup, runs, inner, () => kernels.MatMulHalf(x.View, w.View, y.View, rows, k, m, bf16, GemmBackend.Mma));
                row["mmaMs"] = Math.Round(mmaMs, 4);
                row["mmaTflops"] = Math.Round(flop / mmaMs / 1e9, 1);
                float[]? mmaRows = check ? FirstRows(y, m) : null;
                double narrowMs = Time(kernels, warmup, runs, inner, () => kernels.MatMulHalf(x.View, w.View, y.View, rows, k, m, bf16, GemmBackend.MmaNarrow));
                row["mmaNarrowMs"] = Math.Round(narrowMs, 4);
                row["mmaNarrowTflops"] = Math.Round(flop / narrowMs / 1e9, 1);
                if (cuBlas)
                {
                    double blasMs = Time(kernels, warmup, runs, inner, () => kernels.MatMulHalf(x.View, w.View, y.View, rows, k, m, bf16, GemmBackend.CuBlas));
                    row["cublasMs"] = Math.Round(blasMs, 4);
                    row["cublasTflops"] = Math.Round(flop / blasMs / 1e9, 1);
                    row["mmaOverCublas"] = Math.Round(blasMs / mmaMs, 3);
                    row["mmaNarrowOverCublas"] = Math.Round(blasMs / narrowMs, 3);
                    if (mmaRows is not null)
                        row["mmaVsCublasMaxRelative"] = MaxRelative(FirstRows(y, m), mmaRows);
                }
                results.Add(row);
                Console.Error.WriteLine(JsonSerializer.Serialize(row));
            }
        report["results"] = results;
        Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    // every backend that runs here at edge shapes, against GemmTc.Reference: max |error| / max |reference|
    private static Dictionary<string, object> CheckSmall(KernelSet kernels, bool cuBlas, bool cuda)
    {
        var result = new Dictionary<string, object>();
        var backends = new List<GemmBackend> { GemmBackend.Simt, GemmBackend.Mma, GemmBackend.MmaNarrow };
        if (cuBlas)
            backends.Add(GemmBackend.CuBlas);
        var random = new Random(7);
        bool ok = true;
        var shapes = new[] { (37, 48, 40), (300, 272, 264), (129, 4096, 130) };
        foreach (var (rows, k, m) in cuda ? shapes : shapes[..1])
            foreach (bool bf16 in new[] { false, true })
            {
                var format = bf16 ? WeightFormat.BF16 : WeightFormat.F16;
                var x = Enumerable.Range(0, rows * k).Select(_ => WeightBits.FromFloat(random.NextSingle() * 2 - 1, format)).ToArray();
                var w = Enumerable.Range(0, m * k).Select(_ => WeightBits.FromFloat(random.NextSingle() * 2 - 1, format)).ToArray();
                var expected = new float[rows * m];
                GemmTc.Reference(x, w, expected, rows, k, m, bf16);
                var a = kernels.Accelerator;
                using var xBuffer = a.Allocate1D(x);
                using var wBuffer = a.Allocate1D(w);
                using var yBuffer = a.Allocate1D<float>(rows * m);
                foreach (var backend in backends)
                {
                    kernels.MatMulHalf(xBuffer.View, wBuffer.View, yBuffer.View, rows, k, m, bf16, backend);
                    kernels.Synchronize();
                    double error = MaxRelative(expected, yBuffer.GetAsArray1D());
                    ok &= error < 1e-4;   // float32 accumulation of ≤ 4096 products of values in [-1, 1]
                    result[$"{backend} {format} {rows}x{k}x{m}"] = error;
                }
            }
        result["pass"] = ok;
        return result;
    }

    private static float[] FirstRows(MemoryBuffer1D<float, Stride1D.Dense> y, int m) => y.View.SubView(0, 64L * m).GetAsArray1D();

    private static double MaxRelative(float[] expected, float[] actual)
    {
        double maxError = 0, maxValue = 1e-30;
        for (int i = 0; i < expected.Length; i++)
        {
            maxError = Math.Max(maxError, Math.Abs((double)expected[i] - actual[i]));
            maxValue = Math.Max(maxValue, Math.Abs(expected[i]));
        }
        return maxError / maxValue;
    }

    // median over runs of the mean of `inner` calls between synchronizations, after warm-up calls
    private static double Time(KernelSet kernels, int warmup, int runs, int inner, Action call)
    {
        for (int i = 0; i < warmup; i++)
            call();
        kernels.Synchronize();
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            for (int j = 0; j < inner; j++)
                call();
            kernels.Synchronize();
            times[i] = watch.Elapsed.TotalMilliseconds / inner;
        }
        Array.Sort(times);
        return times[runs / 2];
    }

    private static string Ptx(string kernel)
    {
        using var context = Context.Create(b => b.EnableAlgorithms().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, nvvmAPI: null!);
        var entry = EntryPointDescription.FromExplicitlyGroupedKernel(typeof(GemmTc).GetMethod(kernel)!);
        return ((PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty)).PTXAssembly;
    }

    // uniform in [-1, 1) as fp16 or bf16 bits
    private static void FillKernel(Index1D i, ArrayView<ushort> x, uint seed, int bf16)
    {
        uint h = (uint)i.X * 747796405u + seed * 2891336453u;
        h = ((h >> (int)((h >> 28) + 4u)) ^ h) * 277803737u;
        h = (h >> 22) ^ h;
        x[i] = HalfConvert.ToBits((h >> 8) * (2f / 16777216f) - 1f, bf16);
    }
}
