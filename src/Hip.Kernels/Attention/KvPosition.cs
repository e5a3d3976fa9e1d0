using ILGPU;

namespace Hip.Kernels;

/// <summary>
/// Where a kernel finds the cache position of its first token. Prefill passes it as an argument; a decode step that is
/// replayed as a CUDA graph must launch with the same arguments every step, so it passes <see cref="OnDevice"/> and the
/// kernels read the position from a device int (the cache length), which <see cref="AdvanceKernel"/> moves on at the
/// end of the step.
/// </summary>
public static class KvPosition
{
    /// <summary>The startPos argument that means "read the position from the device int".</summary>
    public const int OnDevice = -1;

    /// <summary>The start position a kernel uses: the argument, or position[0] when the argument is <see cref="OnDevice"/>.</summary>
    public static int Resolve(ArrayView<int> position, int startPos) => startPos >= 0 ? startPos : position[0];

    // position: [1]. One thread: position[0] += tokens (the end of a decode step).
    public static void AdvanceKernel(Index1D index, ArrayView<int> position, int tokens) => position[0] += tokens;

    // values: [n]. values[i] = value for every i (device position after a prefill, HiP refresh origins).
    public static void FillKernel(Index1D index, ArrayView<int> values, int value) => values[index] = value;
}
