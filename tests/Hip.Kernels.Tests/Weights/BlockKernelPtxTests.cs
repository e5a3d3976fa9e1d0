using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace Hip.Kernels.Tests;

/// <summary>
/// The block kernels (internal, so <see cref="PtxCompileTests"/>' scan of public kernels misses them) compiled to PTX
/// for SM_90 offline for every decoder, so CI catches what only fails on CUDA; the mat-vec must use 16-byte loads and no local memory.
/// </summary>
public sealed class BlockKernelPtxTests
{
    public static TheoryData<string> Decoders => new(
        typeof(IBlockDecoder).Assembly.GetTypes()
            .Where(t => t.IsValueType && typeof(IBlockDecoder).IsAssignableFrom(t))
            .Select(t => t.DeclaringType!.Name));

    [Theory]
    [MemberData(nameof(Decoders))]
    public void BlockKernels_ForSm90_CompileWithVectorLoads(string type)
    {
        var decoder = typeof(IBlockDecoder).Assembly.GetTypes().Single(t => t.Name == "Decoder" && t.DeclaringType!.Name == type);
        var kernels = new[]
        {
            typeof(MatVecBlocks).GetMethod(nameof(MatVecBlocks.Kernel))!,
            typeof(MatVecBlocks).GetMethod(nameof(MatVecBlocks.PerThreadKernel))!,
            typeof(DequantizeBlocks).GetMethod(nameof(DequantizeBlocks.EmbedKernel))!,
            typeof(DequantizeBlocks).GetMethod(nameof(DequantizeBlocks.ToFloatKernel))!,
            typeof(DequantizeBlocks).GetMethod(nameof(DequantizeBlocks.ToHalfKernel))!,
        };
        using var context = Context.Create(b => b.EnableAlgorithms().Optimize(OptimizationLevel.O2));
        foreach (var kernel in kernels)
        {
            var method = kernel.MakeGenericMethod(decoder);
            using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, nvvmAPI: null!);
            var entry = method.GetParameters()[0].ParameterType == typeof(Index1D)
                ? EntryPointDescription.FromImplicitlyGroupedKernel(method)
                : EntryPointDescription.FromExplicitlyGroupedKernel(method);
            string ptx = ((PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty)).PTXAssembly;
            Assert.Contains(".entry", ptx);
            if (Environment.GetEnvironmentVariable("HIP_PTX_DUMP") is string dir) File.WriteAllText(Path.Combine(dir, $"{type}.{kernel.Name}.ptx"), ptx);
            if (kernel.Name == nameof(MatVecBlocks.Kernel))
            {
                Assert.Contains("ld.global.v4.b32", ptx);   // 16-byte weight loads
                Assert.DoesNotContain("ld.local", ptx);    // nothing spilled
            }
            if (kernel.Name == nameof(DequantizeBlocks.ToHalfKernel) && type is "Q4_K" or "Q5_K" or "Q6_K" or "Q8_0")
            {
                Assert.Contains("st.global.v4", ptx);       // eight halves a store (the prefill GEMM's weight scratch)
                Assert.Contains("cvt.rn.f16x2.f32", ptx);
            }
        }
    }
}
