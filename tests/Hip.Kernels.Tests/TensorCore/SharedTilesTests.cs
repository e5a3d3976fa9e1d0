using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

/// <summary>
/// SharedTiles.Load4 (ldmatrix.x4 and ldmatrix.x4.trans) against the PTX ISA's fragment layout: random 16-bit values in
/// 32 shared rows, each lane giving a row of a random permutation and a 16-byte column, so that the test fails if a
/// lane's registers come from any row or column other than the ones the layout names. Exact (bit patterns move, nothing
/// is computed).
/// </summary>
public sealed class SharedTilesTests
{
    private const int Rows = 32, PitchBytes = 48;   // 24 halves a row: columns 0..15 read, rows 16-byte aligned

    private static void Kernel(ArrayView<uint> source, ArrayView<int> rowOf, ArrayView<uint> output, int transpose)
    {
        var shared = SharedMemory.GetDynamic<uint>();
        int lane = Warp.LaneIdx;
        for (int i = lane; i < Rows * PitchBytes / 4; i += 32)
            shared[i] = source[i];
        Group.Barrier();
        int offset = rowOf[lane] * PitchBytes + 16 * (lane >> 4);
        SharedTiles.Load4(shared, SharedTiles.DynamicBase(), offset, transpose != 0, out uint r0, out uint r1, out uint r2, out uint r3);
        output[lane * 4] = r0;
        output[lane * 4 + 1] = r1;
        output[lane * 4 + 2] = r2;
        output[lane * 4 + 3] = r3;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Load4_RandomRows_MatchesTheFragmentLayout(bool transpose)
    {
        var random = new Random(transpose ? 17 : 11);
        var halves = new ushort[Rows * PitchBytes / 2];
        for (int i = 0; i < halves.Length; i++)
            halves[i] = (ushort)random.Next(1, 65536);
        var words = new uint[halves.Length / 2];
        for (int i = 0; i < words.Length; i++)
            words[i] = halves[2 * i] | ((uint)halves[2 * i + 1] << 16);
        int[] rowOf = Enumerable.Range(0, Rows).OrderBy(_ => random.Next()).ToArray();

        // matrix m: rows given by lanes 8m .. 8m + 7, columns from 8 (m >> 1); lane 4r + c holds row r, columns 2c, 2c + 1
        // (transposed: rows 2c, 2c + 1 of column r), the lower in the low half
        ushort At(int m, int row, int column) => halves[rowOf[8 * m + row] * (PitchBytes / 2) + 8 * (m >> 1) + column];
        var expected = new uint[32 * 4];
        for (int lane = 0; lane < 32; lane++)
            for (int m = 0; m < 4; m++)
            {
                int r = lane >> 2, c = lane & 3;
                expected[lane * 4 + m] = transpose
                    ? At(m, 2 * c, r) | ((uint)At(m, 2 * c + 1, r) << 16)
                    : At(m, r, 2 * c) | ((uint)At(m, r, 2 * c + 1) << 16);
            }

        var acc = TestGpu.Gpu.Accelerator;
        var kernel = acc.LoadStreamKernel<ArrayView<uint>, ArrayView<int>, ArrayView<uint>, int>(Kernel);
        using var sourceBuffer = acc.Allocate1D(words);
        using var rowBuffer = acc.Allocate1D(rowOf);
        using var outputBuffer = acc.Allocate1D<uint>(32 * 4);
        outputBuffer.MemSetToZero();
        kernel(new KernelConfig(new Index1D(1), new Index1D(32), SharedMemoryConfig.RequestDynamic<uint>(words.Length)),
            sourceBuffer.View, rowBuffer.View, outputBuffer.View, transpose ? 1 : 0);
        TestGpu.ThrowIfFaulted();

        Assert.Equal(expected, outputBuffer.GetAsArray1D());
    }
}
