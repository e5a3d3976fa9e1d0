using ILGPU;
using ILGPU.Runtime;

namespace Hip.Inference;

/// <summary>
/// Keys and values of one sequence for every layer, on the device: [layers, kvHeads, capacity, headDim] each, keys
/// stored after RoPE. <see cref="Length"/> counts the positions filled so far.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _keys;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _values;
    private readonly long _layerStride;

    public int LayerCount { get; }
    public int KvHeadCount { get; }
    public int HeadDim { get; }
    public int Capacity { get; }
    public int Length { get; internal set; }
    public long SizeInBytes => 2 * _layerStride * LayerCount * sizeof(float);

    public KvCache(Accelerator accelerator, int layers, int kvHeads, int headDim, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        LayerCount = layers;
        KvHeadCount = kvHeads;
        HeadDim = headDim;
        Capacity = capacity;
        _layerStride = (long)kvHeads * capacity * headDim;
        long bytes = 2 * _layerStride * layers * sizeof(float);
        if (bytes > accelerator.MemorySize)
            throw new InvalidOperationException(
                $"The KV cache for {capacity} tokens needs {bytes / (1024.0 * 1024 * 1024):F2} GiB, more than the device's " +
                $"{accelerator.MemorySize / (1024.0 * 1024 * 1024):F2} GiB: lower EngineOptions.ContextLength.");
        _keys = accelerator.Allocate1D<float>(_layerStride * layers);
        _values = accelerator.Allocate1D<float>(_layerStride * layers);
    }

    /// <summary>Layer l's keys: [kvHeads, capacity, headDim].</summary>
    public ArrayView<float> Keys(int layer) => _keys.View.SubView(layer * _layerStride, _layerStride);

    /// <summary>Layer l's values: [kvHeads, capacity, headDim].</summary>
    public ArrayView<float> Values(int layer) => _values.View.SubView(layer * _layerStride, _layerStride);

    /// <summary>Copies the first <paramref name="length"/> positions of every layer and head from a cache of the same shape.</summary>
    public void CopyPrefixFrom(KvCache source, int length)
    {
        if (source.LayerCount != LayerCount || source.KvHeadCount != KvHeadCount || source.HeadDim != HeadDim || source.Capacity != Capacity)
            throw new ArgumentException("Prefix copies need caches of the same shape.", nameof(source));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, source.Length);
        long headStride = (long)Capacity * HeadDim, count = (long)length * HeadDim;
        for (int l = 0; l < LayerCount; l++)
            for (int g = 0; g < KvHeadCount; g++)
            {
                long offset = g * headStride;
                source.Keys(l).SubView(offset, count).CopyTo(Keys(l).SubView(offset, count));
                source.Values(l).SubView(offset, count).CopyTo(Values(l).SubView(offset, count));
            }
        Length = length;
    }

    /// <summary>Forgets every position (the memory is reused).</summary>
    public void Clear() => Length = 0;

    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }
}
