using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels;

/// <summary>
/// Grow-on-demand device buffers for a kernel set's scratch (split partials, int8 activations, fp16 prefill operands,
/// HiP masks). A buffer only grows, and only outside a captured decode step (the step runs eagerly once first, with the
/// same shapes), so a captured graph keeps pointing at live memory.
/// </summary>
internal static class DeviceScratch
{
    /// <summary>
    /// The first <paramref name="length"/> elements of <paramref name="buffer"/>, reallocated to at least
    /// max(length, minimum) when it is smaller; the old buffer is freed after the stream has finished with it.
    /// </summary>
    public static ArrayView<T> Grow<T>(Accelerator accelerator, AcceleratorStream stream, ref MemoryBuffer1D<T, Stride1D.Dense>? buffer,
        long length, long minimum = 0) where T : unmanaged
    {
        if (buffer is null || buffer.Length < length)
        {
            if (buffer is not null)
            {
                stream.Synchronize();   // queued kernels may still read the old buffer
                buffer.Dispose();
            }
            buffer = accelerator.Allocate1D<T>(Math.Max(length, minimum));
        }
        return buffer.View.SubView(0, length);
    }
}
