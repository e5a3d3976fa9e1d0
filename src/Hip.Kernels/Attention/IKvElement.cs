using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Reads and writes one stored KV-cache element inside a kernel (a struct, so kernels specialise on it, as
/// <see cref="IWeightReader{T}"/> does for weights). Arithmetic stays float32; only storage changes.
/// </summary>
public interface IKvElement<T> where T : unmanaged
{
    /// <summary>The stored element as float32.</summary>
    float Read(T stored);

    /// <summary>A float32 value rounded to the stored form (round to nearest even).</summary>
    T Write(float value);

    /// <summary>Elements index .. index + 3 (index a multiple of 4) as float32, read in one vector load.</summary>
    Float4 Load4(ArrayView<T> view, long index);
}
