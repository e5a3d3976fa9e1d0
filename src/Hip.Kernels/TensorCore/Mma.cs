using ILGPU;
using ILGPU.Runtime.Cuda;
using Half = ILGPU.Half;

namespace Hip.Kernels;

/// <summary>
/// Tensor-core primitives for one warp: <c>mma.sync.aligned.m16n8k16</c> with fp16 or bf16 inputs and float32
/// accumulation, through inline PTX on CUDA (legal for the sm_80 target ILGPU 1.5.3 emits; the driver JIT runs it on the
/// H100/H200 tensor cores). On the CPU accelerator the same call is emulated with warp shuffles in exactly the fragment
/// layout of the PTX ISA, so the tiling code around it runs — and is tested — on the CPU too.
/// <para>
/// Fragment layout (PTX ISA, "Matrix fragments for mma.m16n8k16 with floating point type"); lane = 4·g + t with
/// g = lane / 4 (0..7) and t = lane % 4; each 32-bit register packs two 16-bit values, the lower index in the low half:
/// </para>
/// <list type="bullet">
/// <item>A (16×16, row-major): a0 = A[g][2t..2t+1], a1 = A[g+8][2t..2t+1], a2 = A[g][2t+8..2t+9], a3 = A[g+8][2t+8..2t+9].</item>
/// <item>B (16×8, k × n): b0 = B[2t..2t+1][g], b1 = B[2t+8..2t+9][g]. For y = x·Wᵀ with W row-major [n, k] this is
/// b0 = W[g][2t..2t+1], b1 = W[g][2t+8..2t+9]: a weight row's consecutive pair.</item>
/// <item>C, D (16×8, float32): c0 = C[g][2t], c1 = C[g][2t+1], c2 = C[g+8][2t], c3 = C[g+8][2t+1].</item>
/// </list>
/// Call from warp-uniform control flow only (all 32 lanes together), as the hardware instruction requires.
/// </summary>
public static class Mma
{
    /// <summary>c += A·B for fp16 A (a0..a3) and B (b0, b1) in the fragment layout above.</summary>
    public static void MmaF16(ref float c0, ref float c1, ref float c2, ref float c3,
        uint a0, uint a1, uint a2, uint a3, uint b0, uint b1)
    {
        if (CudaAsm.IsSupported)
        {
            Ref<float> d0 = c0, d1 = c1, d2 = c2, d3 = c3;
            Input<uint> x0 = a0, x1 = a1, x2 = a2, x3 = a3, y0 = b0, y1 = b1;
            CudaAsm.EmitRef(
                "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};",
                ref d0, ref d1, ref d2, ref d3, ref x0, ref x1, ref x2, ref x3, ref y0, ref y1);
            (c0, c1, c2, c3) = (d0.Value, d1.Value, d2.Value, d3.Value);
        }
        else
        {
            Emulate(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1, bf16: false);
        }
    }

    /// <summary>c += A·B for bf16 A and B; otherwise as <see cref="MmaF16"/>.</summary>
    public static void MmaBF16(ref float c0, ref float c1, ref float c2, ref float c3,
        uint a0, uint a1, uint a2, uint a3, uint b0, uint b1)
    {
        if (CudaAsm.IsSupported)
        {
            Ref<float> d0 = c0, d1 = c1, d2 = c2, d3 = c3;
            Input<uint> x0 = a0, x1 = a1, x2 = a2, x3 = a3, y0 = b0, y1 = b1;
            CudaAsm.EmitRef(
                "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};",
                ref d0, ref d1, ref d2, ref d3, ref x0, ref x1, ref x2, ref x3, ref y0, ref y1);
            (c0, c1, c2, c3) = (d0.Value, d1.Value, d2.Value, d3.Value);
        }
        else
        {
            Emulate(ref c0, ref c1, ref c2, ref c3, a0, a1, a2, a3, b0, b1, bf16: true);
        }
    }

    /// <summary>
    /// Two floats as an fp16 pair: lo in bits 0..15, hi in 16..31; on CUDA <see cref="BlockMath.HalfPair"/> (one
    /// cvt.rn.f16x2.f32, round to nearest even), elsewhere ILGPU's Half conversion (the CPU emulation of the kernels).
    /// </summary>
    public static uint PackHalf2(float lo, float hi) => CudaAsm.IsSupported
        ? BlockMath.HalfPair(lo, hi)
        : (uint)Interop.FloatAsInt((Half)lo) | ((uint)Interop.FloatAsInt((Half)hi) << 16);

    /// <summary>Two floats as a bf16 pair (round to nearest even; NaN stays NaN): lo in bits 0..15, hi in 16..31.</summary>
    public static uint PackBFloat162(float lo, float hi) => ToBFloat16(lo) | (ToBFloat16(hi) << 16);

    /// <summary>The fp16 value in the low (<paramref name="high"/> false) or high half of <paramref name="pair"/>.</summary>
    public static float HalfAt(uint pair, bool high) => (float)Interop.IntAsFloat((ushort)(high ? pair >> 16 : pair & 0xFFFF));

    /// <summary>The bf16 value in the low or high half of <paramref name="pair"/>.</summary>
    public static float BFloat16At(uint pair, bool high) => Interop.IntAsFloat(high ? pair & 0xFFFF0000u : pair << 16);

    private static uint ToBFloat16(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        if ((bits & 0x7FFFFFFFu) > 0x7F800000u)
            return (bits >> 16) | 0x40u;
        return (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
    }

    private static float At(uint pair, bool high, bool bf16) => bf16 ? BFloat16At(pair, high) : HalfAt(pair, high);

    // The CPU accelerator's form: each lane gathers rows g, g+8 of A and columns 2t, 2t+1 of B from the lanes holding
    // them (A row r, k-pair j: lane 4·(r mod 8) + j; B column n, k-pair j: lane 4·n + j) and accumulates in float32.
    private static void Emulate(ref float c0, ref float c1, ref float c2, ref float c3,
        uint a0, uint a1, uint a2, uint a3, uint b0, uint b1, bool bf16)
    {
        int lane = Warp.LaneIdx, g = lane >> 2, t = lane & 3;
        for (int j = 0; j < 4; j++)
        {
            int aLane = 4 * g + j, bLane0 = 4 * (2 * t) + j, bLane1 = 4 * (2 * t + 1) + j;
            uint ra0 = Warp.Shuffle(a0, aLane), ra1 = Warp.Shuffle(a1, aLane);   // rows g, g+8: k = 2j, 2j+1
            uint ra2 = Warp.Shuffle(a2, aLane), ra3 = Warp.Shuffle(a3, aLane);   // rows g, g+8: k = 2j+8, 2j+9
            uint rb00 = Warp.Shuffle(b0, bLane0), rb01 = Warp.Shuffle(b1, bLane0);   // column 2t
            uint rb10 = Warp.Shuffle(b0, bLane1), rb11 = Warp.Shuffle(b1, bLane1);   // column 2t+1
            c0 += Dot4(ra0, ra2, rb00, rb01, bf16);
            c1 += Dot4(ra0, ra2, rb10, rb11, bf16);
            c2 += Dot4(ra1, ra3, rb00, rb01, bf16);
            c3 += Dot4(ra1, ra3, rb10, rb11, bf16);
        }
    }

    // A[r][2j], A[r][2j+1], A[r][2j+8], A[r][2j+9] times B[2j][n], B[2j+1][n], B[2j+8][n], B[2j+9][n]
    private static float Dot4(uint aLow, uint aHigh, uint bLow, uint bHigh, bool bf16) =>
        At(aLow, false, bf16) * At(bLow, false, bf16) + At(aLow, true, bf16) * At(bLow, true, bf16)
        + At(aHigh, false, bf16) * At(bHigh, false, bf16) + At(aHigh, true, bf16) * At(bHigh, true, bf16);

    /// <summary>Reference: C[16×8] += A[16×16] · B[16×8] in float64 over float inputs (row-major A, B[k][n]).</summary>
    public static void Reference(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c)
    {
        for (int r = 0; r < 16; r++)
            for (int n = 0; n < 8; n++)
            {
                double acc = c[r * 8 + n];
                for (int k = 0; k < 16; k++)
                    acc += (double)a[r * 16 + k] * b[k * 8 + n];
                c[r * 8 + n] = (float)acc;
            }
    }
}
