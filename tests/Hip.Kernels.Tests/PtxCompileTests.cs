using System.Reflection;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace Hip.Kernels.Tests;

/// <summary>
/// Compiles every kernel of Hip.Kernels to PTX for SM_90 offline (no GPU needed), so CI catches what only fails for
/// CUDA: the CPU accelerator runs kernels as plain .NET code and accepts Math.Clamp, System.Half, throw... (ILGPU.md §4.3).
/// </summary>
public sealed class PtxCompileTests
{
    // Element types the generic kernels are instantiated with in KernelSet and HipKernelSet: weight readers (MatVec,
    // MatMulTiled, Embedding) and KV-cache elements (KvStore, the attention kernels, the HiP kernels).
    private static readonly (Type Weight, Type Reader)[] s_weightReaders =
    [
        (typeof(float), typeof(F32Reader)),
        (typeof(ushort), typeof(F16Reader)),
        (typeof(ushort), typeof(BF16Reader)),
        (typeof(float), typeof(KvF32Element)),
        (typeof(ushort), typeof(KvF16Element)),
    ];

    private static readonly Lazy<Dictionary<string, MethodInfo?>> s_kernels = new(FindKernels);

    /// <summary>Every kernel in Hip.Kernels (public static void *Kernel with an ArrayView parameter), by display name.</summary>
    public static TheoryData<string> KernelNames
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var name in s_kernels.Value.Keys.Order(StringComparer.Ordinal))
                data.Add(name);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void Compile_ForSm90_EmitsPtx(string kernel)
    {
        var method = s_kernels.Value[kernel]
            ?? throw new Xunit.Sdk.XunitException($"{kernel}: generic kernel with no known instantiation; add one to {nameof(PtxCompileTests)}.");

        string ptx = CompileForSm90(method);
        if (Environment.GetEnvironmentVariable("HIP_PTX_DUMP") is string dir)   // for ptxas -v on a GPU machine
            File.WriteAllText(Path.Combine(dir, new string(kernel.Select(ch => char.IsLetterOrDigit(ch) ? ch : '_').ToArray()) + ".ptx"), ptx);

        // ILGPU 1.5.3 targets sm_80 for every GPU from sm_80 on, with the newest ISA it knows (ILGPU.md §1.1).
        Assert.Contains(".version 8.8", ptx);
        Assert.Contains(".target sm_80", ptx);
        Assert.Contains(".entry", ptx);
    }

    [Fact]
    public void KernelNames_DenseKernels_AreAllFound()
    {
        var names = s_kernels.Value.Keys.ToHashSet();
        string[] expected =
        [
            "RmsNorm.Kernel", "MatVec.Kernel<Single, F32Reader>", "MatVec.Kernel<UInt16, F16Reader>", "MatVec.Kernel<UInt16, BF16Reader>",
            "MatMulTiled.Kernel<Single, F32Reader>", "MatMulTiled.Kernel<UInt16, F16Reader>", "MatMulTiled.Kernel<UInt16, BF16Reader>",
            "Embedding.Kernel<Single, F32Reader>", "Embedding.Kernel<UInt16, F16Reader>", "Embedding.Kernel<UInt16, BF16Reader>",
            "Rope.Kernel", "KvStore.Kernel<Single, KvF32Element>", "KvStore.Kernel<UInt16, KvF16Element>",
            "DenseAttention.Kernel<Single, KvF32Element>", "DenseAttention.Kernel<UInt16, KvF16Element>",
            "DenseAttentionSplitK.PartialKernel<UInt16, KvF16Element>", "MaskEstimation.Kernel<UInt16, KvF16Element>", "MaskEstimationTc.Kernel",
            "BlockSparseAttention.Kernel<UInt16, KvF16Element>", "KvPosition.AdvanceKernel", "SwiGlu.Kernel", "ResidualAdd.Kernel", "ArgMax.Kernel",
        ];
        var missing = expected.Where(name => !names.Contains(name)).ToArray();
        Assert.True(missing.Length == 0, "Kernels not found by the scan: " + string.Join(", ", missing));
    }

    [Theory]
    [InlineData(nameof(MathClampKernel))]
    [InlineData(nameof(SystemHalfKernel))]
    public void Compile_KernelOnlyTheCpuAccepts_Fails(string kernel)
    {
        // The negative control: these run on the CPU accelerator but cannot become PTX (ILGPU.md §2).
        var method = typeof(PtxCompileTests).GetMethod(kernel, BindingFlags.NonPublic | BindingFlags.Static)!;
        Assert.Throws<InternalCompilerException>(() => CompileForSm90(method));
    }

    private static void MathClampKernel(Index1D i, ArrayView<int> x) => x[i] = Math.Clamp(x[i], 0, 7);

    private static void SystemHalfKernel(Index1D i, ArrayView<float> x) => x[i] = (float)(System.Half)x[i];

    // A fresh context per kernel: after one failed compile ILGPU's next compile on the same context can throw.
    private static string CompileForSm90(MethodInfo method)
    {
        using var context = Context.Create(b => b.EnableAlgorithms().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, nvvmAPI: null!);   // no NVVM: ILGPU's own PTX generator
        var entry = IsImplicitlyGrouped(method)
            ? EntryPointDescription.FromImplicitlyGroupedKernel(method)
            : EntryPointDescription.FromExplicitlyGroupedKernel(method);
        var compiled = (PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty);
        return compiled.PTXAssembly;
    }

    private static bool IsImplicitlyGrouped(MethodInfo method)
    {
        var parameters = method.GetParameters();
        return parameters.Length > 0 && parameters[0].ParameterType.GetInterfaces().Any(i => i.Name.StartsWith("IIntIndex", StringComparison.Ordinal));
    }

    // Kernels are the public static void methods named Kernel (or ...Kernel) taking an ArrayView; generic ones are
    // instantiated for each weight reader whose constraints they accept (null: none fits).
    private static Dictionary<string, MethodInfo?> FindKernels()
    {
        var kernels = new Dictionary<string, MethodInfo?>();
        var candidates = typeof(KernelSet).Assembly.GetExportedTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.Name.EndsWith("Kernel", StringComparison.Ordinal) && m.ReturnType == typeof(void)
                && m.GetParameters().Any(p => IsArrayView(p.ParameterType)));
        foreach (var method in candidates)
        {
            string name = $"{method.DeclaringType!.Name}.{method.Name}";
            if (!method.IsGenericMethodDefinition)
            {
                kernels[name] = method;
                continue;
            }
            bool any = false;
            foreach (var (weight, reader) in s_weightReaders)
            {
                if (method.GetGenericArguments().Length != 2)
                    break;
                try
                {
                    kernels[$"{name}<{weight.Name}, {reader.Name}>"] = method.MakeGenericMethod(weight, reader);
                    any = true;
                }
                catch (ArgumentException)
                {
                    // constraints rule this reader out
                }
            }
            if (!any)
                kernels[name] = null;
        }
        return kernels;
    }

    private static bool IsArrayView(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(ArrayView<>) || d == typeof(ArrayView1D<,>));
}
