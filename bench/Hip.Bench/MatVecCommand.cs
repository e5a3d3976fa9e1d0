using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Hip.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Hip.Bench;

/// <summary>
/// "matvec": achieved bandwidth of the decode mat-vec (one row of x) for each weight type on the Llama-3.1-8B shapes,
/// against a device-to-device copy measured the same way. Weights are random blocks with finite scales (a pattern of
/// rows repeated: the bandwidth does not depend on the values), in enough copies (launches cycle through them) that
/// 256 MiB of weights stream per cycle, so the L2 does not hold a small matrix between launches. On CUDA each timing replays a CUDA graph of
/// <c>--launches</c> back-to-back launches (captured from the kernel set's stream through the driver API), so launch
/// overhead does not hide the kernel time of the small shapes; without CUDA, plain launches. Reports the median of
/// <c>--runs</c> as JSON: ms per launch, weight GB/s (device bytes of W / time) and its fraction of the copy's
/// (read + write) GB/s.
/// </summary>
internal sealed class MatVecCommand : Command
{
    private static readonly string[] s_defaultTypes = ["f16", "bf16", "q8_0", "q4_K", "q6_K", "q4_0", "q4_1", "q5_0", "q5_1", "q5_K", "f32"];

    // [out x in]: q/o, k/v, gate/up, down, output of Llama-3.1-8B; then q+k+v and gate+up as the decode step runs them
    // (several matrices over one x: KernelSet.MatMul's fused launch)
    private const string DefaultShapes = "4096x4096,1024x4096,14336x4096,4096x14336,128256x4096,4096+1024+1024x4096,14336+14336x4096";

    private readonly Option<string> _device = BenchCommandLine.Choice("--device", "The ILGPU accelerator.", "cuda", "cpu");
    private readonly Option<string> _types = BenchCommandLine.Parsed("--types", string.Join(",", s_defaultTypes),
        $"Weight types, comma-separated, of {string.Join(", ", WeightTypes.All.Select(t => t.Name))}.", ParseTypes);
    private readonly Option<string> _shapes = BenchCommandLine.Parsed("--shapes", DefaultShapes,
        "Matrix shapes OUTxIN, comma-separated; OUT1+OUT2(+OUT3)xIN times matrices that share x in one call.", ParseShapes);
    private readonly Option<int> _warmup = BenchCommandLine.Option("--warmup", 3, "Untimed runs first.");
    private readonly Option<int> _runs = BenchCommandLine.Option("--runs", 15, "Timed runs (the median is reported).");
    private readonly Option<int> _launches = BenchCommandLine.Option("--launches", 50, "Back-to-back launches per timed run (one CUDA graph on CUDA).");

    public MatVecCommand() : base("matvec",
        "GB/s of the decode mat-vec per weight type on the Llama-3.1-8B shapes against a device-to-device copy; JSON on stdout.")
    {
        foreach (var option in new Option[] { _types, _shapes, _device, _warmup, _runs, _launches })
            Options.Add(option);
        SetAction(Run);
    }

    private int Run(ParseResult c)
    {
        string device = c.GetValue(_device)!;
        var types = ParseTypes(c.GetValue(_types)!);
        var shapes = ParseShapes(c.GetValue(_shapes)!);
        int warmup = c.GetValue(_warmup), runs = c.GetValue(_runs), launches = c.GetValue(_launches);
        if (runs <= 0 || launches <= 0 || warmup < 0)
            throw new UsageException("--runs and --launches must be positive, --warmup not negative.");
        using var gpu = Gpu.Create(device == "cuda" ? DeviceKind.Cuda : DeviceKind.Cpu);
        long copyBytes = device == "cuda" ? 1L << 30 : 1L << 24;
        var accelerator = gpu.Accelerator;
        var kernels = new KernelSet(accelerator);
        var timer = new Timer(kernels, warmup, runs, launches);

        var results = new List<Dictionary<string, object>>();
        double copyGBs = MeasureCopy(accelerator, kernels, timer, copyBytes, out double copyMs);
        Console.Error.WriteLine($"copy {copyBytes >> 20} MiB: {copyMs:F3} ms, {copyGBs:F0} GB/s (read + write)");

        foreach (var info in types)
            foreach (var (rowCounts, n) in shapes)
            {
                // copies of the matrices, launches cycling through them, so that the weights stream from memory as in
                // a decode step instead of staying in the 50 MB L2 from one launch to the next
                long setBytes = rowCounts.Sum(m => info.BytesPerRow(n) * m);
                int copies = device == "cuda" ? (int)Math.Clamp(CeilDiv(L2ClearBytes, setBytes), 1, 64) : 1;
                var matrices = rowCounts.Select(m => RandomMatrices(accelerator, info, m, n, copies)).ToArray();
                var outputs = rowCounts.Select(m => accelerator.Allocate1D<float>(m)).ToArray();
                try
                {
                    kernels.PrepareWeights(info.Type);
                    using var x = accelerator.Allocate1D<float>(n);
                    x.View.BaseView.CopyFromCPU(Enumerable.Range(0, n).Select(i => MathF.Sin(i) * 0.5f).ToArray());
                    var products = Enumerable.Range(0, copies)
                        .Select(c => matrices.Zip(outputs, (w, y) => (W: w[c], Y: y.View.BaseView)).ToArray()).ToArray();
                    int next = 0;
                    double ms = timer.Time(() =>
                    {
                        var set = products[next++ % copies];
                        if (set.Length == 1)
                            kernels.MatVec(x.View, set[0].W, set[0].Y, 1);
                        else
                            kernels.MatMul(x.View, 1, set);
                    });
                    bool finite = outputs.All(y => y.GetAsArray1D().All(float.IsFinite));
                    long bytes = matrices.Sum(w => w[0].SizeInBytes);
                    double gbs = bytes / (ms * 1e6);
                    string rowsText = string.Join("+", rowCounts);
                    var row = new Dictionary<string, object>
                    {
                        ["type"] = info.Name, ["rows"] = rowsText, ["cols"] = n, ["deviceBytes"] = bytes, ["ms"] = Math.Round(ms, 5),
                        ["GBs"] = Math.Round(gbs, 1), ["ofCopy"] = Math.Round(gbs / copyGBs, 3), ["finite"] = finite,
                    };
                    results.Add(row);
                    Console.Error.WriteLine($"{info.Name,-5} [{rowsText,16} x {n,5}] {bytes / 1048576.0,8:F1} MiB {ms * 1000,8:F1} us {gbs,7:F0} GB/s {100 * gbs / copyGBs,5:F1} % of copy");
                }
                finally
                {
                    foreach (var w in matrices.SelectMany(c => c))
                        w.Dispose();
                    foreach (var y in outputs)
                        y.Dispose();
                }
            }

        var report = new Dictionary<string, object>
        {
            ["command"] = "matvec", ["device"] = gpu.Description, ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'"),
            ["timing"] = timer.UsesGraphs ? $"CUDA graph of {launches} launches, median of {runs}" : $"{launches} stream launches, median of {runs}",
            ["copyGBs"] = Math.Round(copyGBs, 1), ["results"] = results,
        };
        Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static WeightTypeInfo[] ParseTypes(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(name => WeightTypes.All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new UsageException($"Unknown --types entry '{name}'; choices: {string.Join(", ", WeightTypes.All.Select(t => t.Name))}."))];

    private static (int[] M, int N)[] ParseShapes(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(ParseShape)];

    private static (int[] M, int N) ParseShape(string text)
    {
        var parts = text.Split('x');
        var outs = parts.Length == 2 ? parts[0].Split('+') : [];
        var m = new int[outs.Length];
        bool valid = parts.Length == 2 && outs.Length is >= 1 and <= 3 && int.TryParse(parts[1], out int n) && n > 0;
        for (int i = 0; valid && i < outs.Length; i++)
            valid = int.TryParse(outs[i], out m[i]) && m[i] > 0;
        if (!valid || !int.TryParse(parts[1], out n))
            throw new UsageException($"--shapes entries are OUTxIN (e.g. 4096x14336) or up to three OUTs joined by + (4096+1024+1024x4096), got '{text}'.");
        return (m, n);
    }

    // bytes of weights a timed launch sequence cycles through: well over the H200's 50 MB L2
    private const long L2ClearBytes = 256L << 20;

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;

    /// <summary><paramref name="copies"/> [m, n] matrices of info's type: random blocks of about 8 MiB, repeated over the rows.</summary>
    private static DeviceMatrix[] RandomMatrices(Accelerator accelerator, WeightTypeInfo info, int m, int n, int copies)
    {
        long rowBytes = info.BytesPerRow(n);
        int patternRows = (int)Math.Clamp((8L << 20) / rowBytes, 1, m);
        var random = new Random(1234);
        var values = new float[(long)patternRows * n];
        for (long i = 0; i < values.Length; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1) * 0.05f;
        var raw = new byte[patternRows * rowBytes];
        if (info.CanQuantize)
            info.Quantize(values, raw);
        else
        {
            random.NextBytes(raw);
            for (long b = 0; b < raw.Length; b += info.BytesPerBlock)   // Q4_1 / Q5_1: finite d and m
                for (int field = 0; field < 4; field += 2)
                    BinaryPrimitives.WriteUInt16LittleEndian(raw.AsSpan((int)b + field), BitConverter.HalfToUInt16Bits((System.Half)0.01f));
        }
        var matrices = new DeviceMatrix[copies];
        for (int c = 0; c < copies; c++)
        {
            matrices[c] = DeviceMatrix.Allocate(accelerator, info.Type, m, n);
            for (int row = 0; row < m; row += patternRows)
                matrices[c].CopyRowsFromHost(row, raw.AsSpan(0, (int)(Math.Min(patternRows, m - row) * rowBytes)));
        }
        return matrices;
    }

    private static double MeasureCopy(Accelerator accelerator, KernelSet kernels, Timer timer, long bytes, out double ms)
    {
        // the driver's device-to-device copy (cuMemcpyDtoDAsync) on the same stream
        using var source = accelerator.Allocate1D<uint>(bytes / 4);
        using var target = accelerator.Allocate1D<uint>(bytes / 4);
        source.MemSetToZero();
        ms = timer.Time(() => source.View.BaseView.CopyTo(kernels.Stream, target.View.BaseView));
        return 2.0 * bytes / (ms * 1e6);
    }

    /// <summary>Median time of one launch; on CUDA through a captured graph of the launches.</summary>
    private sealed unsafe class Timer(KernelSet kernels, int warmup, int runs, int launches)
    {
        private static readonly nint s_cuda = NativeLibrary.TryLoad("libcuda.so.1", out var h) ? h : NativeLibrary.TryLoad("libcuda.so", out h) ? h : 0;

        public bool UsesGraphs { get; private set; } = kernels.Stream is CudaStream && s_cuda != 0;

        public double Time(Action launch)
        {
            if (UsesGraphs)
            {
                try
                {
                    return TimeGraph(launch);
                }
                catch (InvalidOperationException e)
                {
                    Console.Error.WriteLine($"CUDA graph timing failed ({e.Message}); timing stream launches instead.");
                    UsesGraphs = false;
                }
            }
            for (int i = 0; i < warmup; i++)
                launch();
            kernels.Synchronize();
            var times = new double[runs];
            for (int r = 0; r < runs; r++)
            {
                var watch = Stopwatch.StartNew();
                for (int i = 0; i < launches; i++)
                    launch();
                kernels.Synchronize();
                times[r] = watch.Elapsed.TotalMilliseconds / launches;
            }
            return Median(times);
        }

        private double TimeGraph(Action launch)
        {
            launch();   // loads and compiles the kernel outside the capture
            kernels.Synchronize();
            nint stream = ((CudaStream)kernels.Stream).StreamPtr, graph = 0, exec = 0;
            Check(((delegate* unmanaged<nint, int, int>)Export("cuStreamBeginCapture_v2"))(stream, 2), "cuStreamBeginCapture");   // relaxed
            for (int i = 0; i < launches; i++)
                launch();
            Check(((delegate* unmanaged<nint, nint*, int>)Export("cuStreamEndCapture"))(stream, &graph), "cuStreamEndCapture");
            try
            {
                Check(((delegate* unmanaged<nint*, nint, ulong, int>)Export("cuGraphInstantiateWithFlags"))(&exec, graph, 0), "cuGraphInstantiate");
                var graphLaunch = (delegate* unmanaged<nint, nint, int>)Export("cuGraphLaunch");
                for (int i = 0; i < warmup; i++)
                    Check(graphLaunch(exec, stream), "cuGraphLaunch");
                kernels.Synchronize();
                var times = new double[runs];
                for (int r = 0; r < runs; r++)
                {
                    var watch = Stopwatch.StartNew();
                    Check(graphLaunch(exec, stream), "cuGraphLaunch");
                    kernels.Synchronize();
                    times[r] = watch.Elapsed.TotalMilliseconds / launches;
                }
                return Median(times);
            }
            finally
            {
                if (exec != 0)
                    ((delegate* unmanaged<nint, int>)Export("cuGraphExecDestroy"))(exec);
                if (graph != 0)
                    ((delegate* unmanaged<nint, int>)Export("cuGraphDestroy"))(graph);
            }
        }

        private static nint Export(string name) => NativeLibrary.GetExport(s_cuda, name);

        private static void Check(int result, string call)
        {
            if (result != 0)
                throw new InvalidOperationException($"{call} returned CUDA error {result}");
        }

        private static double Median(double[] values)
        {
            Array.Sort(values);
            return values[values.Length / 2];
        }
    }
}
