using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels.Tests;

/// <summary>
/// One layer's keys and values on the test accelerator in a chosen precision, from float arrays in the block layout
/// [blocks, kvHeads, 64, headDim]; F16 rounds on the host (System.Half, round to nearest even).
/// </summary>
internal sealed class KvTestCache : IDisposable
{
    /// <summary>NaN in float16 (the poison of unwritten slots).</summary>
    public const ushort HalfNaN = 0x7E00;

    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _k32, _v32;
    private readonly MemoryBuffer1D<ushort, Stride1D.Dense>? _k16, _v16;

    public KvTestCache(Accelerator accelerator, KvPrecision precision, float[] keys, float[] values, int capacity)
    {
        if (precision == KvPrecision.F32)
        {
            _k32 = accelerator.Allocate1D(keys);
            _v32 = accelerator.Allocate1D(values);
            Layer = KvLayer.F32(_k32.View, _v32.View, capacity);
        }
        else
        {
            _k16 = accelerator.Allocate1D(Array.ConvertAll(keys, KvF16Element.ToBits));
            _v16 = accelerator.Allocate1D(Array.ConvertAll(values, KvF16Element.ToBits));
            Layer = KvLayer.F16(_k16.View, _v16.View, capacity);
        }
    }

    public KvLayer Layer { get; }

    /// <summary>The values the kernels see: x itself for F32, x rounded to float16 and widened for F16.</summary>
    public static float[] AsStored(float[] x, KvPrecision precision) =>
        precision == KvPrecision.F32 ? x : Array.ConvertAll(x, v => KvF16Element.FromBits(KvF16Element.ToBits(v)));

    public void Dispose()
    {
        _k32?.Dispose();
        _v32?.Dispose();
        _k16?.Dispose();
        _v16?.Dispose();
    }
}
