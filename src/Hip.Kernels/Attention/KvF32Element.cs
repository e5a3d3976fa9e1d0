using ILGPU;

namespace Hip.Kernels;

/// <summary>KV elements stored as float32 (<see cref="KvPrecision.F32"/>): exact.</summary>
public struct KvF32Element : IKvElement<float>
{
    /// <inheritdoc/>
    public readonly float Read(float stored) => stored;

    /// <inheritdoc/>
    public readonly float Write(float value) => value;

    /// <inheritdoc/>
    public readonly Float4 Load4(ArrayView<float> view, long index) => view.Cast<Float4>()[index >> 2];   // one 16-byte load
}
