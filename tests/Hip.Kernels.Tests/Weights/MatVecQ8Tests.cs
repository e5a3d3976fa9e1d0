using System.Reflection;
using Hip.TestSupport;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace Hip.Kernels.Tests;

/// <summary>The int8-activation mat-vec of K-quant weights (MatVecQ8): against its host reference, and that reference against float.</summary>
public sealed class MatVecQ8Tests
{
    private static MatVecQ8.HostDot Dot(WeightType type) => type switch
    {
        WeightType.Q4_K => Q4_K.DotQ8,
        WeightType.Q5_K => Q5_K.DotQ8,
        WeightType.Q6_K => Q6_K.DotQ8,
        WeightType.Q8_0 => Q8_0.DotQ8,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    // The kernel and the host reference compute the same integer sums exactly and the same float products, summed in
    // another order (float partials of 64 values, a warp tree): |diff| ≤ 1e-5 · Σ|x·w| + 1e-6, as the float mat-vec.
    internal static void AssertMatchesQ8Reference(WeightType type, float[] x, byte[] raw, float[] actual, int rows, int n, int m, string what)
    {
        var info = WeightTypes.Get(type);
        var expected = new float[rows * m];
        MatVecQ8.Reference(x, raw, info, expected, rows, n, m, Dot(type));
        var w = new float[m * n];
        info.Dequantize(raw, w);
        BlockKernelTests.AssertWithinSumBound(expected, actual, x, w, rows, n, m, what + " against the int8-activation reference");
    }

    // The branch-free scale/min unpacking of the Q4_K and Q5_K device decoders (Q4_K.ScaleMins: all eight sub-blocks' pairs from
    // header words Y, Z, W at once) against ggml's get_scale_min_k4 on random headers (every bit pattern of the 12 bytes).
    [Fact]
    public void Q4K_ScaleMins_MatchesGgmlUnpacking()
    {
        var random = new Random(20261203);
        var header = new byte[16];
        for (int trial = 0; trial < 2000; trial++)
        {
            random.NextBytes(header);
            var h = new UInt4 { X = BitConverter.ToUInt32(header, 0), Y = BitConverter.ToUInt32(header, 4), Z = BitConverter.ToUInt32(header, 8), W = BitConverter.ToUInt32(header, 12) };
            for (int unit = 0; unit < 4; unit++)
            {
                Q4_K.ScaleMins(h, unit, out int sc1, out int m1, out int sc2, out int m2);
                Q4_K.ScaleMin(header.AsSpan(4, 12), 2 * unit, out int sc, out int m);
                Assert.Equal(sc, sc1);
                Assert.Equal(m, m1);
                Q4_K.ScaleMin(header.AsSpan(4, 12), 2 * unit + 1, out sc, out m);
                Assert.Equal(sc, sc2);
                Assert.Equal(m, m2);
            }
        }
    }

    // m = 13: part-full groups, and with two rows a warp the last warp's second row is past the end. n = 768: three
    // blocks (24 pieces of Q4_K/Q6_K, 48 of Q8_0), so a step's later pieces are missing on some lanes; n = 4608: 144 and
    // 288 pieces, several steps a row with a part-full last one.
    [Theory]
    [InlineData(WeightType.Q4_K, 1, 768)]
    [InlineData(WeightType.Q5_K, 1, 768)]
    [InlineData(WeightType.Q5_K, 2, 4608)]
    [InlineData(WeightType.Q6_K, 1, 768)]
    [InlineData(WeightType.Q8_0, 1, 768)]
    [InlineData(WeightType.Q4_K, 2, 768)]
    [InlineData(WeightType.Q6_K, 2, 768)]
    [InlineData(WeightType.Q8_0, 2, 768)]
    [InlineData(WeightType.Q4_K, 1, 4608)]
    [InlineData(WeightType.Q6_K, 2, 4608)]
    [InlineData(WeightType.Q8_0, 1, 4608)]
    [InlineData(WeightType.Q8_0, 2, 4608)]
    public void MatVec_Int8Activations_MatchesHostReference(WeightType type, int rowsPerWarp, int n)
    {
        int rows = 2, m = 13;
        var raw = WeightTestData.RandomBlocks(type, m, n, Random.Shared);
        var x = TestData.Random(rows * n);
        var kernels = TestGpu.KernelsOf(KernelVariant.Grouped);
        var a = kernels.Accelerator;
        using var w = DeviceMatrix.Upload(a, type, raw, m, n);
        Assert.True(kernels.UsesInt8Activations(w));
        using var xBuffer = a.Allocate1D(x);
        using var yBuffer = a.Allocate1D(TestData.Poison(rows * m));
        kernels.Int8RowsPerWarpOverride = rowsPerWarp;
        try
        {
            kernels.MatVec(xBuffer.View, w, yBuffer.View, rows);
        }
        finally
        {
            kernels.Int8RowsPerWarpOverride = null;
        }
        TestGpu.ThrowIfFaulted();
        AssertMatchesQ8Reference(type, x, raw, yBuffer.GetAsArray1D(), rows, n, m, $"y ({type}, {rowsPerWarp} rows a warp, n {n})");
    }

    // What int8 activations cost in accuracy: each x moves by at most amax/254 of its 32-block, in random directions, so
    // the output's relative error is about 0.5 % (measured 0.3–0.7 % on these shapes); 2 % leaves room and still fails
    // for any wrong block, scale or sign (errors of order 100 %).
    [Theory]
    [InlineData(WeightType.Q4_K)]
    [InlineData(WeightType.Q5_K)]
    [InlineData(WeightType.Q6_K)]
    [InlineData(WeightType.Q8_0)]
    public void HostReference_CloseToFloatMatVec(WeightType type)
    {
        int rows = 3, n = 1024, m = 64;
        var raw = WeightTestData.RandomBlocks(type, m, n, Random.Shared);
        var info = WeightTypes.Get(type);
        var w = new float[m * n];
        info.Dequantize(raw, w);
        var x = TestData.Random(rows * n);
        var exact = new float[rows * m];
        MatVec.Reference(x, w, exact, rows, n, m);
        var int8 = new float[rows * m];
        MatVecQ8.Reference(x, raw, info, int8, rows, n, m, Dot(type));
        double error = TestData.RelativeError(exact, int8);
        Assert.InRange(error, 1e-5, 0.02);   // not zero: the activations really were rounded
    }

    [Fact]
    public void QuantizeRow_RoundsHalfAwayFromZero_WithExactSums()
    {
        var x = new float[64];
        for (int i = 0; i < 64; i++)
            x[i] = (i - 20) * 0.25f;   // block 0: amax 5 → d = 5/127; block 1 amax 10.75
        var xq = new sbyte[64];
        var dx = new float[2];
        var sx = new float[2];
        MatVecQ8.QuantizeRow(x, xq, dx, sx);
        Assert.Equal(5f / 127f, dx[0]);
        Assert.Equal(-127, xq[0]);
        Assert.Equal(0, xq[20]);
        Assert.Equal(127, xq[63]);
        Assert.Equal(x.Take(32).Sum(), sx[0]);
        for (int i = 0; i < 64; i++)
            Assert.InRange(Math.Abs(xq[i] * dx[i / 32] - x[i]), 0, dx[i / 32] / 2 * 1.0001);
        Assert.Equal(7, MatVecQ8.RoundAway(6.5f));
        Assert.Equal(-7, MatVecQ8.RoundAway(-6.5f));
    }

    [Theory]
    [InlineData(17, 99, 1000)]
    [InlineData(-128, 127, -5)]
    [InlineData(unchecked((int)0x80FF7F01), 0x7F80FF01, 3)]
    public void Dp4a_OnHost_SumsSignedByteProducts(int a, int b, int c)
    {
        int expected = c;
        for (int i = 0; i < 4; i++)
            expected += (sbyte)(a >> (8 * i)) * (sbyte)(b >> (8 * i));
        Assert.Equal(expected, BlockMath.Dp4a(a, b, c));
    }

    // Compiled offline for SM_90: the dp4a instruction and 16-byte weight loads. (ILGPU passes an inline-asm output
    // through a 4-byte local slot, stored and at once reloaded; ptxas keeps it in a register: eng/gpu-check.sh prints ptxas -v.)
    [Theory]
    [InlineData(typeof(Q4_K.Q8Decoder))]
    [InlineData(typeof(Q5_K.Q8Decoder))]
    [InlineData(typeof(Q6_K.Q8Decoder))]
    [InlineData(typeof(Q8_0.Q8Decoder))]
    public void Kernel_ForSm90_UsesDp4aAndVectorLoads(Type decoder)
    {
        var method = typeof(MatVecQ8).GetMethod(nameof(MatVecQ8.Kernel), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(decoder);
        using var context = Context.Create(b => b.EnableAlgorithms().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, nvvmAPI: null!);
        string ptx = ((PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(method), KernelSpecialization.Empty)).PTXAssembly;
        if (Environment.GetEnvironmentVariable("HIP_PTX_DUMP") is string dir) File.WriteAllText(Path.Combine(dir, $"{decoder.DeclaringType!.Name}.MatVecQ8.ptx"), ptx);
        Assert.Contains("dp4a.s32.s32", ptx);
        Assert.Contains("ld.global.v4.b32", ptx);
        Assert.DoesNotContain("bar.sync", ptx);   // no shared memory: the quantized x comes through L1
    }

    [Fact]
    public void QuantizeKernel_ForSm90_Compiles()
    {
        var method = typeof(MatVecQ8).GetMethod(nameof(MatVecQ8.QuantizeKernel))!;
        using var context = Context.Create(b => b.EnableAlgorithms().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, nvvmAPI: null!);
        string ptx = ((PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(method), KernelSpecialization.Empty)).PTXAssembly;
        if (Environment.GetEnvironmentVariable("HIP_PTX_DUMP") is string dir) File.WriteAllText(Path.Combine(dir, "QuantizeQ8.ptx"), ptx);
        Assert.Contains("ld.global.v4.f32", ptx);
    }

    // Several matrices over one x (q, k, v): x quantized once, each product as its own mat-vec; a float matrix among them
    // takes the float kernel. Every output against its own reference.
    [Fact]
    public void MatMulOfSeveral_SharesOneQuantization_EachMatchesItsReference()
    {
        int rows = 1, n = 512;
        var kernels = TestGpu.KernelsOf(KernelVariant.Grouped);
        var x = TestData.Random(rows * n);
        using var xBuffer = kernels.Accelerator.Allocate1D(x);
        using var products = new RandomProducts(kernels.Accelerator, [WeightType.Q4_K, WeightType.Q6_K, WeightType.F16, WeightType.Q8_0], [9, 4, 5, 3], rows, n);
        kernels.MatMul(xBuffer.View, rows, products.List);
        TestGpu.ThrowIfFaulted();
        products.AssertEach(x, "among several products");
    }

    // Consecutive matrices of one type share one launch (MatVecTargets: up to three, warp o on row o of [W0; W1; W2]):
    // the int8 kernel (Q4_K ×4: three fused, one alone; Q4_K, Q4_K, Q6_K as a Q4_K_M file's q, k, v), the float block
    // kernel (F16 ×3) and through the fused norm (Q8_0 ×3). Rows 2, so the second x row is indexed too. The int8 kernel
    // takes two rows a warp here, so warps straddle the matrices (7 + 6 + 5 rows: rows 6 and 7 share a warp).
    [Theory]
    [InlineData(false, "3,1", WeightType.Q4_K, WeightType.Q4_K, WeightType.Q4_K, WeightType.Q4_K)]
    [InlineData(false, "2,1", WeightType.Q4_K, WeightType.Q4_K, WeightType.Q6_K)]
    [InlineData(false, "3", WeightType.F16, WeightType.F16, WeightType.F16)]
    [InlineData(true, "3", WeightType.Q8_0, WeightType.Q8_0, WeightType.Q8_0)]
    public void SameTypeProducts_OneLaunch_EachMatchesItsReference(bool throughNorm, string launches, params WeightType[] types)
    {
        int rows = 2, n = 512;
        var kernels = TestGpu.KernelsOf(KernelVariant.Grouped);
        var a = kernels.Accelerator;
        var x = TestData.Random(rows * n);
        using var xBuffer = a.Allocate1D(x);
        using var products = new RandomProducts(a, types, types.Select((_, i) => 7 - i).ToArray(), rows, n);
        Assert.Equal(launches, string.Join(",", kernels.MatVecLaunches(products.List, rows)));
        if (throughNorm)
        {
            var weight = TestData.Random(n);
            using var weightBuffer = a.Allocate1D(weight);
            using var normed = a.Allocate1D(TestData.Poison(rows * n));
            kernels.RmsNormMatMul(xBuffer.View, weightBuffer.View, 1e-5f, normed.View, rows, n, products.List);
            TestGpu.ThrowIfFaulted();
            products.AssertEach(normed.GetAsArray1D(), "fused after the norm");
            return;
        }
        kernels.Int8RowsPerWarpOverride = 2;
        try
        {
            kernels.MatMul(xBuffer.View, rows, products.List);
        }
        finally
        {
            kernels.Int8RowsPerWarpOverride = null;
        }
        TestGpu.ThrowIfFaulted();
        products.AssertEach(x, "in one launch");
    }

    // The norm fused with the int8 quantization (all products int8) and the unfused path (an F16 matrix among them):
    // the normed row against the norm's reference, each product against the int8 reference of that normed row.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RmsNormMatMul_FusedOrNot_MatchesReferences(bool withF16)
    {
        int rows = 2, dim = 512;
        var kernels = TestGpu.KernelsOf(KernelVariant.Grouped);
        var a = kernels.Accelerator;
        var x = TestData.Random(rows * dim, scale: 3f);
        var weight = TestData.Random(dim);
        using var xBuffer = a.Allocate1D(x);
        using var weightBuffer = a.Allocate1D(weight);
        using var normed = a.Allocate1D(TestData.Poison(rows * dim));
        WeightType[] types = withF16 ? [WeightType.Q4_K, WeightType.F16] : [WeightType.Q4_K, WeightType.Q6_K, WeightType.Q8_0];
        using var products = new RandomProducts(a, types, types.Select((_, i) => 3 + 2 * i).ToArray(), rows, dim);
        kernels.RmsNormMatMul(xBuffer.View, weightBuffer.View, 1e-5f, normed.View, rows, dim, products.List);
        TestGpu.ThrowIfFaulted();
        var expectedNormed = new float[rows * dim];
        RmsNorm.Reference(x, weight, expectedNormed, dim, 1e-5f);
        var actualNormed = normed.GetAsArray1D();
        TestData.AssertClose(expectedNormed, actualNormed, 1e-5, 1e-5, "normed row");
        products.AssertEach(actualNormed, $"after the norm (f16 among them: {withF16})");
    }

    // Random matrices of the given types and heights over one input width, with poisoned outputs: what a call that
    // multiplies one x by several matrices writes, and the check of each output against its own reference (the int8
    // reference for the int8 types, the float mat-vec within 1e-4 for F16).
    private sealed class RandomProducts : IDisposable
    {
        private readonly WeightType[] _types;
        private readonly int[] _heights;
        private readonly byte[][] _raws;
        private readonly DeviceMatrix[] _matrices;
        private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _outputs;
        private readonly int _rows, _n;

        public RandomProducts(Accelerator a, WeightType[] types, int[] heights, int rows, int n)
        {
            (_types, _heights, _rows, _n) = (types, heights, rows, n);
            _raws = types.Select((t, i) => WeightTestData.RandomBlocks(t, heights[i], n, Random.Shared)).ToArray();
            _matrices = types.Select((t, i) => DeviceMatrix.Upload(a, t, _raws[i], heights[i], n)).ToArray();
            _outputs = heights.Select(m => a.Allocate1D(TestData.Poison(rows * m))).ToArray();
        }

        public (DeviceMatrix W, ArrayView<float> Y)[] List => _matrices.Select((w, i) => (w, (ArrayView<float>)_outputs[i].View)).ToArray();

        public void AssertEach(float[] x, string what)
        {
            for (int i = 0; i < _types.Length; i++)
            {
                var actual = _outputs[i].GetAsArray1D();
                if (_types[i] == WeightType.F16)
                {
                    var w = new float[_heights[i] * _n];
                    WeightTypes.Get(_types[i]).Dequantize(_raws[i], w);
                    var expected = new float[_rows * _heights[i]];
                    MatVec.Reference(x, w, expected, _rows, _n, _heights[i]);
                    TestData.AssertClose(expected, actual, 1e-4, 1e-4, $"f16 {what}");
                }
                else
                {
                    AssertMatchesQ8Reference(_types[i], x, _raws[i], actual, _rows, _n, _heights[i], $"{_types[i]} {what}");
                }
            }
        }

        public void Dispose()
        {
            foreach (var w in _matrices) w.Dispose();
            foreach (var o in _outputs) o.Dispose();
        }
    }
}
