using Hip.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Inference;

/// <summary>
/// Keys and values of one sequence for every layer, on the device, in the <see cref="KvLayout"/> block layout:
/// per layer [blocks, kvHeads, 64, headDim] each, keys stored after RoPE, float16 or float32 (<see cref="Precision"/>).
/// <see cref="Length"/> counts the positions filled so far; <see cref="Position"/> holds the same number on the device
/// for decode steps that read it there (graph replay), moved on by <see cref="AdvancePosition"/>.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly KernelSet _kernels;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _keysF32, _valuesF32;     // [layers, blocks, kvHeads, 64, headDim]
    private readonly MemoryBuffer1D<ushort, Stride1D.Dense>? _keysF16, _valuesF16;   // the same, half bits
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _position;                  // [1]: the device copy of Length
    private readonly long _layerElements;
    private int _length;
    private bool _positionStale = true;   // Length changed on the host since the device position was last written

    public int LayerCount { get; }
    public int KvHeadCount { get; }
    public int HeadDim { get; }
    public int Capacity { get; }

    /// <summary>How keys and values are stored.</summary>
    public KvPrecision Precision { get; }

    /// <summary>Positions filled so far (host view); setting it marks the device position for rewriting.</summary>
    public int Length
    {
        get => _length;
        internal set
        {
            _length = value;
            _positionStale = true;
        }
    }

    /// <summary>Bytes of keys and values together.</summary>
    public long SizeInBytes { get; }

    /// <summary>The cache length on the device: [1] int, read by decode kernels launched with <see cref="KvPosition.OnDevice"/>.</summary>
    public ArrayView<int> Position => _position.View;

    /// <summary>A cache of <paramref name="capacity"/> positions (rounded up to whole 64-position blocks) in the given precision.</summary>
    public KvCache(KernelSet kernels, int layers, int kvHeads, int headDim, int capacity, KvPrecision precision = KvPrecision.F16)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        if (!Enum.IsDefined(precision))
            throw new ArgumentOutOfRangeException(nameof(precision), precision, "KvPrecision must be F16 or F32.");
        _kernels = kernels;
        LayerCount = layers;
        KvHeadCount = kvHeads;
        HeadDim = headDim;
        Capacity = capacity;
        Precision = precision;
        long needed = RequiredBytes(layers, kvHeads, headDim, capacity, precision, kernels.Accelerator.MemorySize);
        _layerElements = ((long)capacity + KvLayout.BlockTokens - 1) / KvLayout.BlockTokens * kvHeads * KvLayout.BlockTokens * headDim;   // fits: needed did
        SizeInBytes = needed;
        var a = kernels.Accelerator;
        if (precision == KvPrecision.F32)
        {
            _keysF32 = a.Allocate1D<float>(_layerElements * layers);
            _valuesF32 = a.Allocate1D<float>(_layerElements * layers);
        }
        else
        {
            _keysF16 = a.Allocate1D<ushort>(_layerElements * layers);
            _valuesF16 = a.Allocate1D<ushort>(_layerElements * layers);
        }
        _position = a.Allocate1D<int>(1);
    }

    /// <summary>
    /// Bytes of a cache of this shape (whole blocks, K and V), computed without overflow; throws an
    /// <see cref="InvalidOperationException"/> naming needed and available bytes and what to lower when it exceeds
    /// <paramref name="available"/>.
    /// </summary>
    internal static long RequiredBytes(int layers, int kvHeads, int headDim, int capacity, KvPrecision precision, long available)
    {
        int elementBytes = precision == KvPrecision.F32 ? sizeof(float) : sizeof(ushort);
        long needed;
        try
        {
            long blocks = ((long)capacity + KvLayout.BlockTokens - 1) / KvLayout.BlockTokens;
            needed = checked(2 * blocks * kvHeads * KvLayout.BlockTokens * headDim * layers * elementBytes);
        }
        catch (OverflowException)
        {
            throw new InvalidOperationException(
                $"The KV cache for {capacity} positions ({layers} layers, {kvHeads} KV heads of {headDim}, {precision}) needs more than " +
                $"{long.MaxValue} bytes: lower EngineOptions.ContextLength.");
        }
        if (needed > available)
            throw new InvalidOperationException(
                $"The KV cache for {capacity} positions ({layers} layers × {kvHeads} KV heads × {headDim} × K and V × {elementBytes} bytes, " +
                $"{precision}) needs {needed} bytes ({needed / (1024.0 * 1024 * 1024):F2} GiB), but the device has {available} bytes " +
                $"({available / (1024.0 * 1024 * 1024):F2} GiB): lower EngineOptions.ContextLength or PrefixCacheSlots" +
                (precision == KvPrecision.F32 ? ", or use KvPrecision.F16." : "."));
        return needed;
    }

    /// <summary>Layer l's keys and values: [blocks, kvHeads, 64, headDim] each.</summary>
    public KvLayer Layer(int layer)
    {
        long offset = layer * _layerElements;
        return Precision == KvPrecision.F32
            ? KvLayer.F32(_keysF32!.View.SubView(offset, _layerElements), _valuesF32!.View.SubView(offset, _layerElements), Capacity)
            : KvLayer.F16(_keysF16!.View.SubView(offset, _layerElements), _valuesF16!.View.SubView(offset, _layerElements), Capacity);
    }

    /// <summary>Writes <see cref="Length"/> to the device position if it changed on the host (on the stream; no launch otherwise).</summary>
    public void SyncPosition()
    {
        if (!_positionStale)
            return;
        _kernels.Fill(_position.View, _length);
        _positionStale = false;
    }

    /// <summary>The host's count after a decode step that advanced the device position itself (a replayed graph).</summary>
    internal void AdvancedOnDevice() => _length++;

    /// <summary>The end of a decode step: one more position, on the device (a kernel) and on the host.</summary>
    public void AdvancePosition()
    {
        SyncPosition();
        _kernels.AdvancePosition(_position.View);
        _length++;
    }

    /// <summary>
    /// Copies the first <paramref name="length"/> positions of every layer from a cache of the same shape: whole 64-position
    /// blocks, one contiguous copy per layer and tensor on the kernels' stream.
    /// </summary>
    public void CopyPrefixFrom(KvCache source, int length)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.LayerCount != LayerCount || source.KvHeadCount != KvHeadCount || source.HeadDim != HeadDim
            || source.Capacity != Capacity || source.Precision != Precision)
            throw new ArgumentException(
                $"Prefix copies need caches of the same shape: source [{source.LayerCount} layers, {source.KvHeadCount} KV heads, " +
                $"{source.HeadDim}, {source.Capacity} positions, {source.Precision}], target [{LayerCount}, {KvHeadCount}, {HeadDim}, " +
                $"{Capacity}, {Precision}].", nameof(source));
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, source.Length);
        long count = (long)KvLayout.Blocks(length) * KvHeadCount * KvLayout.BlockTokens * HeadDim;   // block prefix of a layer
        var stream = _kernels.Stream;
        if (count > 0)
            for (int l = 0; l < LayerCount; l++)
            {
                long offset = l * _layerElements;
                if (Precision == KvPrecision.F32)
                {
                    source._keysF32!.View.SubView(offset, count).CopyTo(stream, _keysF32!.View.SubView(offset, count));
                    source._valuesF32!.View.SubView(offset, count).CopyTo(stream, _valuesF32!.View.SubView(offset, count));
                }
                else
                {
                    source._keysF16!.View.SubView(offset, count).CopyTo(stream, _keysF16!.View.SubView(offset, count));
                    source._valuesF16!.View.SubView(offset, count).CopyTo(stream, _valuesF16!.View.SubView(offset, count));
                }
            }
        Length = length;
    }

    /// <summary>Forgets every position (the memory is reused).</summary>
    public void Clear() => Length = 0;

    public void Dispose()
    {
        _keysF32?.Dispose();
        _valuesF32?.Dispose();
        _keysF16?.Dispose();
        _valuesF16?.Dispose();
        _position.Dispose();
    }
}
