using Hip.TestSupport;
using ILGPU;
using ILGPU.Runtime;
using Xunit;

namespace Hip.Kernels.Tests;

public sealed class EmbeddingTests
{
    [Theory]
    [InlineData(WeightFormat.F32)]
    [InlineData(WeightFormat.F16)]
    [InlineData(WeightFormat.BF16)]
    public void Embed_RandomTable_MatchesReference(WeightFormat format)
    {
        const int vocab = 11, dim = 37;
        int[] tokens = [3, 0, 10, 3, 7];                       // both ends of the table and a repeat
        using var table = TestData.RandomMatrix(format, vocab, dim, out var tableFloats);
        var expected = new float[tokens.Length * dim];
        Embedding.Reference(tableFloats, tokens, expected, dim);

        var a = TestGpu.Kernels.Accelerator;
        using var tokenBuffer = a.Allocate1D(tokens);
        using var xBuffer = a.Allocate1D(TestData.Poison(tokens.Length * dim));
        TestGpu.Kernels.Embed(table, tokenBuffer.View, tokens.Length, xBuffer.View);
        TestGpu.ThrowIfFaulted();

        // a gather of the same converted values: exact
        TestData.AssertClose(expected, xBuffer.GetAsArray1D(), 0, 0, $"x ({format})");
    }

    [Fact]
    public void Embed_CountBelowBuffer_WritesOnlyCountRows()
    {
        const int vocab = 5, dim = 9, count = 2;
        int[] tokens = [4, 1, 2];
        using var table = TestData.RandomMatrix(WeightFormat.F32, vocab, dim, out var tableFloats);
        var expected = TestData.Poison(tokens.Length * dim);
        Embedding.Reference(tableFloats, tokens.AsSpan(0, count), expected, dim);

        var a = TestGpu.Kernels.Accelerator;
        using var tokenBuffer = a.Allocate1D(tokens);
        using var xBuffer = a.Allocate1D(TestData.Poison(tokens.Length * dim));
        TestGpu.Kernels.Embed(table, tokenBuffer.View, count, xBuffer.View);
        TestGpu.ThrowIfFaulted();

        var x = xBuffer.GetAsArray1D();
        TestData.AssertClose(expected.AsSpan(0, count * dim), x.AsSpan(0, count * dim), 0, 0, "x");
        Assert.All(x[(count * dim)..], v => Assert.True(float.IsNaN(v)));   // the third row keeps its poison
    }

    [Fact]
    public void Embed_IdOutsideVocab_ClampsToTable()
    {
        const int vocab = 4, dim = 5;
        int[] tokens = [-3, 9];                              // the host refuses these; the kernel must not read outside
        using var table = TestData.RandomMatrix(WeightFormat.F32, vocab, dim, out var tableFloats);
        var expected = new float[tokens.Length * dim];
        Embedding.Reference(tableFloats, [0, vocab - 1], expected, dim);

        var a = TestGpu.Kernels.Accelerator;
        using var tokenBuffer = a.Allocate1D(tokens);
        using var xBuffer = a.Allocate1D(TestData.Poison(tokens.Length * dim));
        TestGpu.Kernels.Embed(table, tokenBuffer.View, tokens.Length, xBuffer.View);
        TestGpu.ThrowIfFaulted();

        TestData.AssertClose(expected, xBuffer.GetAsArray1D(), 0, 0, "x");
    }
}
