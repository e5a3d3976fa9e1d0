using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace Hip.Kernels;

/// <summary>
/// Tensor-core fragment loads from shared memory (<c>ldmatrix</c>, <c>ldmatrix.trans</c>) for one warp, over the kernel's
/// dynamic shared memory. The instruction needs shared-window addresses, which ILGPU 1.5.3 does not hand to inline PTX
/// (<c>Unsafe.AsPointer</c> is refused in kernels, <c>LoadEffectiveAddressAsPtr</c> is host-only); the dynamic shared
/// memory is one module symbol, <c>__dyn_shared_alloca</c>, so <see cref="DynamicBase"/> reads its address and offsets
/// are plain byte counts from it (16-byte aligned rows).
/// <para>
/// On the CPU accelerator the same call gathers the fragments with warp shuffles, in exactly the layout of the PTX ISA,
/// so the kernels that use it run — and are tested — there too.
/// </para>
/// <para>
/// Not here on purpose: <c>cp.async</c>. A kernel with it (HeadDim128 dense, 2026-12-03) compiled to 3,472 bytes of stack:
/// ptxas then kept every local that ILGPU's inline-asm lowering passes operands through (one per mma operand) in local
/// memory, 1,555 ms at 32K instead of tens; without the cp.async the same kernel had no stack.
/// </para>
/// </summary>
public static class SharedTiles
{
    /// <summary>The shared-window address of the dynamic shared memory on CUDA; 0 elsewhere (offsets index the view).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint DynamicBase()
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("{ .reg .u64 t; mov.u64 t, __dyn_shared_alloca; cvt.u32.u64 %0, t; }", out uint address);
            return address;
        }
        return 0;
    }

    /// <summary>
    /// ldmatrix.x4: four 8×8 matrices of 16-bit values; lane 8m + r gives the byte offset of row r of matrix m, and
    /// lane 4r + c receives row r, columns 2c and 2c + 1 of matrix m in register m (the low half the lower column).
    /// With <paramref name="transpose"/> (ldmatrix.trans) it receives rows 2c and 2c + 1 of column r instead. Every lane
    /// calls (warp-uniform).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load4(ArrayView<uint> shared, uint sharedBase, int offset, bool transpose,
        out uint r0, out uint r1, out uint r2, out uint r3)
    {
        if (CudaAsm.IsSupported)
        {
            Output<uint> x0 = default, x1 = default, x2 = default, x3 = default;
            Input<uint> at = sharedBase + (uint)offset;
            if (transpose)
                CudaAsm.EmitRef("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];", ref x0, ref x1, ref x2, ref x3, ref at);
            else
                CudaAsm.EmitRef("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];", ref x0, ref x1, ref x2, ref x3, ref at);
            (r0, r1, r2, r3) = (x0.Value, x1.Value, x2.Value, x3.Value);
            return;
        }
        r0 = Emulate(shared, offset, 0, transpose);
        r1 = Emulate(shared, offset, 1, transpose);
        r2 = Emulate(shared, offset, 2, transpose);
        r3 = Emulate(shared, offset, 3, transpose);
    }

    // the CPU accelerator's ldmatrix: this lane's register of matrix m from the row offsets the other lanes hold
    private static uint Emulate(ArrayView<uint> shared, int offset, int m, bool transpose)
    {
        int lane = Warp.LaneIdx, r = lane >> 2, c = lane & 3;
        if (!transpose)
        {
            int row = Warp.Shuffle(offset, 8 * m + r);
            return shared[row / 4 + c];
        }
        int row0 = Warp.Shuffle(offset, 8 * m + 2 * c), row1 = Warp.Shuffle(offset, 8 * m + 2 * c + 1);
        return HalfAt(shared, row0 + 2 * r) | (HalfAt(shared, row1 + 2 * r) << 16);
    }

    private static uint HalfAt(ArrayView<uint> shared, int byteOffset)
    {
        uint word = shared[byteOffset / 4];
        return (byteOffset & 2) != 0 ? word >> 16 : word & 0xFFFFu;
    }
}
