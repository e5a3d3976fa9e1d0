using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

/// <summary>Mat-vec, embedding, row dequantization and prefill mat-mul on random blocks of every weight type.</summary>
public sealed class BlockKernelTests
{
    // A row length per type: two 256-blocks for K-quants; 576 (SmolLM2's hidden size, the K-quant fallback shape) for
    // the 32-blocks; 64 for the float types (whole 16-byte vectors: the block path).
    private static int Cols(WeightType type) => WeightTypes.Get(type).ValuesPerBlock switch
    {
        256 => 512,
        32 => 576,
        _ => 64,
    };

    private static (DeviceMatrix Matrix, float[] Values, byte[] Raw) RandomMatrix(WeightType type, int rows, int cols)
    {
        var raw = WeightTestData.RandomBlocks(type, rows, cols, Random.Shared);
        var values = new float[rows * cols];
        WeightTypes.Get(type).Dequantize(raw, values);
        return (DeviceMatrix.Upload(TestGpu.Kernels.Accelerator, type, raw, rows, cols), values, raw);
    }

    public static IEnumerable<object[]> TypesAndVariants() =>
        from t in WeightTypes.All
        from v in new[] { KernelVariant.Grouped, KernelVariant.PerThread }
        select new object[] { t.Type, v };

    [Theory]
    [MemberData(nameof(WeightTestData.AllTypes), MemberType = typeof(WeightTestData))]
    public void Upload_ThenToFloats_BitIdenticalToHostDequantize(WeightType type)
    {
        int rows = 3, cols = Cols(type);
        var (w, expected, _) = RandomMatrix(type, rows, cols);
        using (w)
        {
            var actual = w.ToFloats();
            Assert.Equal(expected.Select(BitConverter.SingleToUInt32Bits), actual.Select(BitConverter.SingleToUInt32Bits));
            // the device takes at most the file's bytes plus 2 bytes per block of padding (Q6_K 210 -> 212)
            long fileBytes = rows * w.Info.BytesPerRow(cols);
            Assert.InRange(w.SizeInBytes, fileBytes, fileBytes + 4 + 2L * rows * cols / w.Info.ValuesPerBlock);
        }
    }

    [Fact]
    public void CopyRowsFromHost_InChunks_SameAsOneUpload()
    {
        const int rows = 5, cols = 256;
        var raw = WeightTestData.RandomBlocks(WeightType.Q6_K, rows, cols, Random.Shared);
        var expected = new float[rows * cols];
        WeightTypes.Get(WeightType.Q6_K).Dequantize(raw, expected);
        using var w = DeviceMatrix.Allocate(TestGpu.Kernels.Accelerator, WeightType.Q6_K, rows, cols);
        int rowBytes = 210;
        w.CopyRowsFromHost(3, raw.AsSpan(3 * rowBytes, 2 * rowBytes));
        w.CopyRowsFromHost(0, raw.AsSpan(0, 3 * rowBytes));
        Assert.Equal(expected, w.ToFloats());
        Assert.Throws<InvalidDataException>(() => w.CopyRowsFromHost(0, raw.AsSpan(0, rowBytes - 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.CopyRowsFromHost(4, raw.AsSpan(0, 2 * rowBytes)));
        Assert.Throws<InvalidDataException>(() => DeviceMatrix.Allocate(TestGpu.Kernels.Accelerator, WeightType.Q4_K, 2, 576));
    }

    // fp32 accumulation in another order than the double reference: |error| ≤ 1e-5 · Σ|x·w| (n ≤ 576 products,
    // each sum rounding ≤ 6e-8 relative), plus 1e-6 for outputs that cancel to zero.
    [Theory]
    [MemberData(nameof(TypesAndVariants))]
    public void MatVec_RandomBlocks_MatchesReference(WeightType type, KernelVariant variant)
    {
        int rows = 2, n = Cols(type), m = 5;
        var (w, wFloats, raw) = RandomMatrix(type, m, n);
        using (w)
        {
            var x = TestData.Random(rows * n);
            var expected = new float[rows * m];
            MatVec.Reference(x, wFloats, expected, rows, n, m);

            var a = TestGpu.Kernels.Accelerator;
            using var xBuffer = a.Allocate1D(x);
            using var yBuffer = a.Allocate1D(TestData.Poison(rows * m));
            var kernels = TestGpu.KernelsOf(variant);
            kernels.MatVec(xBuffer.View, w, yBuffer.View, rows);
            TestGpu.ThrowIfFaulted();
            if (kernels.UsesInt8Activations(w))
                MatVecQ8Tests.AssertMatchesQ8Reference(type, x, raw, yBuffer.GetAsArray1D(), rows, n, m, $"y ({type}, {variant}, int8 activations)");
            else
                AssertWithinSumBound(expected, yBuffer.GetAsArray1D(), x, wFloats, rows, n, m, $"y ({type}, {variant})");
        }
    }

    // The tiled prefill kernel over quantized rows dequantized in chunks (chunk of 2 rows: 3 chunks for m = 5).
    [Theory]
    [InlineData(WeightType.Q4_K)]
    [InlineData(WeightType.Q8_0)]
    public void MatMulTiled_QuantizedInChunks_MatchesReference(WeightType type)
    {
        int rows = 3, n = Cols(type), m = 5;
        var (w, wFloats, _) = RandomMatrix(type, m, n);
        using (w)
        {
            var x = TestData.Random(rows * n);
            var expected = new float[rows * m];
            MatVec.Reference(x, wFloats, expected, rows, n, m);

            var a = TestGpu.Kernels.Accelerator;
            using var xBuffer = a.Allocate1D(x);
            using var yBuffer = a.Allocate1D(TestData.Poison(rows * m));
            var kernels = TestGpu.Kernels;
            int saved = kernels.DequantizeChunkFloats;
            try
            {
                kernels.DequantizeChunkFloats = 2 * n;
                kernels.MatMulTiled(xBuffer.View, w, yBuffer.View, rows);
                TestGpu.ThrowIfFaulted();
            }
            finally
            {
                kernels.DequantizeChunkFloats = saved;
            }
            AssertWithinSumBound(expected, yBuffer.GetAsArray1D(), x, wFloats, rows, n, m, $"y ({type})");
        }
    }

    // Dequantization on the device evaluates ggml's expressions in float; CUDA may fuse d·q − m into one FMA, so
    // values may differ from the host's by one rounding: ≤ 1e-6 relative plus 1e-7 absolute. fp16 output: one half
    // ulp (2^-11 relative) plus the smallest normal half.
    [Theory]
    [MemberData(nameof(WeightTestData.AllTypes), MemberType = typeof(WeightTestData))]
    public void EmbedAndDequantizeRows_RandomBlocks_MatchHostDequantize(WeightType type)
    {
        int vocab = 6, dim = Cols(type);
        var (table, values, _) = RandomMatrix(type, vocab, dim);
        using (table)
        {
            var a = TestGpu.Kernels.Accelerator;
            var kernels = TestGpu.Kernels;
            int[] tokens = [4, 0, 5, 4];
            using var tokenBuffer = a.Allocate1D(tokens);
            using var xBuffer = a.Allocate1D(TestData.Poison(tokens.Length * dim));
            kernels.Embed(table, tokenBuffer.View, tokens.Length, xBuffer.View);
            using var rowsBuffer = a.Allocate1D(TestData.Poison(3 * dim));
            kernels.DequantizeRows(table, 2, 3, rowsBuffer.View);
            using var halfBuffer = a.Allocate1D<ushort>(3 * dim);
            kernels.DequantizeRows(table, 1, 3, halfBuffer.View);
            TestGpu.ThrowIfFaulted();

            var embedded = xBuffer.GetAsArray1D();
            var expectedEmbed = new float[tokens.Length * dim];
            Embedding.Reference(values, tokens, expectedEmbed, dim);
            TestData.AssertClose(expectedEmbed, embedded, 1e-7, 1e-6, $"embed ({type})");
            TestData.AssertClose(values.AsSpan(2 * dim, 3 * dim), rowsBuffer.GetAsArray1D(), 1e-7, 1e-6, $"rows ({type})");
            var halves = halfBuffer.GetAsArray1D().Select(h => (float)BitConverter.UInt16BitsToHalf(h)).ToArray();
            TestData.AssertClose(values.AsSpan(1 * dim, 3 * dim), halves, 6.2e-5, 1.0 / 2048, $"half rows ({type})");
        }
    }

    // The fp16 dequantization stores eight halves at a time: a view that does not start on 8 elements is refused with
    // the offset named, before any launch (on CUDA the store would fault).
    [Fact]
    public void DequantizeRowsToHalf_MisalignedView_RefusedWithOffset()
    {
        var (table, _, _) = RandomMatrix(WeightType.Q4_K, 2, Cols(WeightType.Q4_K));
        using (table)
        {
            using var halfBuffer = TestGpu.Kernels.Accelerator.Allocate1D<ushort>(3 * table.Cols);
            var e = Assert.Throws<ArgumentException>(() => TestGpu.Kernels.DequantizeRows(table, 0, 2, halfBuffer.View.SubView(3, 2 * table.Cols)));
            Assert.Contains("element 3", e.Message);
        }
    }

    internal static void AssertWithinSumBound(float[] expected, float[] actual, float[] x, float[] w, int rows, int n, int m, string what)
    {
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < m; o++)
            {
                double bound = 1e-6;
                for (int i = 0; i < n; i++)
                    bound += 1e-5 * Math.Abs((double)x[r * n + i] * w[o * n + i]);
                double diff = Math.Abs((double)actual[r * m + o] - expected[r * m + o]);
                if (!(diff <= bound))
                    Assert.Fail($"{what}: [{r}, {o}] is {actual[r * m + o]}, expected {expected[r * m + o]} (|diff| {diff:E3} > {bound:E3})");
            }
    }
}
