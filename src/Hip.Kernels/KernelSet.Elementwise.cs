using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels;

public sealed partial class KernelSet
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int>? _biasAdd;

    /// <summary>y[r, c] += bias[c] for r &lt; rows. y: [rows, cols]   bias: [cols].</summary>
    public void AddBias(ArrayView<float> y, ArrayView<float> bias, int rows, int cols)
    {
        Debug.Assert(y.Length >= (long)rows * cols && bias.Length >= cols, "AddBias: shapes");
        _biasAdd ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(BiasAdd.Kernel);
        _biasAdd(_stream, rows * cols, y, bias, cols);
        Mark("AddBias");
    }
}
