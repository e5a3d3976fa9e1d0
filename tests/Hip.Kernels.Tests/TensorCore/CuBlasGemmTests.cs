using Hip.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Hip.Kernels.Tests;

public sealed class CuBlasGemmTests(ITestOutputHelper output)
{
    // Runs cublasGemmEx where it can: on CUDA with libcublas found. Elsewhere it checks that the reason cuBLAS is not
    // used is stated (and prints it) and that MatMulHalf's automatic choice is not cuBLAS.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MatMulHalf_CuBlas_MatchesReferenceWhereAvailable(bool bf16)
    {
        var kernels = TestGpu.Kernels;
        bool cuda = kernels.Accelerator.AcceleratorType == ILGPU.Runtime.AcceleratorType.Cuda;
        if (!cuda || !CuBlasLibrary.IsAvailable)
        {
            string reason = !cuda ? "not a CUDA accelerator" : CuBlasLibrary.UnavailableReason;
            output.WriteLine($"cuBLAS skipped: {reason}");
            Console.WriteLine($"[tests] cuBLAS skipped: {reason}");
            Assert.NotEqual(GemmBackend.CuBlas, kernels.GemmBackend);
            Assert.False(string.IsNullOrWhiteSpace(reason));
            return;
        }
        output.WriteLine($"cuBLAS: {CuBlasLibrary.LoadedPath}");
        Console.WriteLine($"[tests] cuBLAS: {CuBlasLibrary.LoadedPath}");
        GemmTcTests.Check(GemmBackend.CuBlas, bf16, rows: 37, k: 48, m: 40);
        GemmTcTests.Check(GemmBackend.CuBlas, bf16, rows: 130, k: 272, m: 200);
    }

    // On CUDA the tensor-core kernel at shapes spanning several tiles and steps (too slow for the CPU emulation).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MatMulHalf_MmaMultiTile_MatchesReferenceOnCuda(bool bf16)
    {
        if (TestGpu.Kernels.Accelerator.AcceleratorType != ILGPU.Runtime.AcceleratorType.Cuda)
        {
            output.WriteLine("multi-tile mma check skipped: not a CUDA accelerator (the small-shape test covers the CPU emulation)");
            return;
        }
        GemmTcTests.Check(GemmBackend.Mma, bf16, rows: 300, k: 272, m: 264);
        GemmTcTests.Check(GemmBackend.MmaNarrow, bf16, rows: 300, k: 272, m: 264);
    }
}
