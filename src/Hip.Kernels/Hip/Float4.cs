using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Hip.Kernels;

/// <summary>Four floats loaded and stored as one 16-byte access (ld.global.v4.f32); head dimensions come in fours.</summary>
public struct Float4
{
    public float X, Y, Z, W;

    public static Float4 Zero => default;

    /// <summary>Elements index .. index + 3 (index a multiple of 4) of a KV-cache view as float32, in one vector load of the element type.</summary>
    public static Float4 Load<T, TElement>(ArrayView<T> view, long index)
        where T : unmanaged
        where TElement : struct, IKvElement<T>
    {
        TElement e = default;
        return e.Load4(view, index);
    }

    /// <summary>s + a·b over the four lanes (the compiler may fuse multiply and add).</summary>
    public static float Dot(Float4 a, Float4 b, float s) => s + a.X * b.X + a.Y * b.Y + a.Z * b.Z + a.W * b.W;

    /// <summary>
    /// s + a·b with every product and sum rounded to float in order X, Y, Z, W, on every device: the same bits as the
    /// plain C# loop <c>s = q[x] * k[x] + s</c>. On CUDA mul.rn/add.rn keep ptxas from fusing them into FMAs (ILGPU 1.5.3
    /// has no FMA intrinsic: MathF.FusedMultiplyAdd stays an unresolved call in PTX).
    /// </summary>
    public static float DotExact(Float4 a, Float4 b, float s)
    {
        s = MulAdd(a.X, b.X, s);
        s = MulAdd(a.Y, b.Y, s);
        s = MulAdd(a.Z, b.Z, s);
        return MulAdd(a.W, b.W, s);
    }

    /// <summary>round(round(a·b) + c), never fused.</summary>
    public static float MulAdd(float a, float b, float c)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("{ .reg .f32 t; mul.rn.f32 t, %1, %2; add.rn.f32 %0, t, %3; }", out float result, a, b, c);
            return result;
        }
        return a * b + c;
    }

    public static Float4 Scale(Float4 a, float c) => new() { X = a.X * c, Y = a.Y * c, Z = a.Z * c, W = a.W * c };

    /// <summary>a·c + b·p, element-wise: the online-softmax accumulator update.</summary>
    public static Float4 ScaleAdd(Float4 a, float c, Float4 b, float p) => new()
    {
        X = a.X * c + b.X * p,
        Y = a.Y * c + b.Y * p,
        Z = a.Z * c + b.Z * p,
        W = a.W * c + b.W * p,
    };
}
