using Hip.Kernels;

namespace Hip.Inference;

/// <summary>An opened model file with its architecture, shape and tensor table, before anything is on the device.</summary>
public sealed record ModelSource(ModelFile File, ModelArchitecture Architecture, ModelConfig Config, IReadOnlyList<TensorSpec> Tensors) : IDisposable
{
    /// <summary>Bytes the weights take on the device (matrices in their stored type, vectors as float32).</summary>
    public long WeightBytes
    {
        get
        {
            long total = 0;
            foreach (var spec in Tensors)
                if (File.Find(spec.Name) is { } tensor && WeightTypes.IsSupported((int)tensor.Type))
                    total += spec.IsVector ? spec.Cols * sizeof(float)
                        : tensor.Rows * WeightTypes.Get((WeightType)tensor.Type).BytesPerRow(tensor.Cols);
            return total;
        }
    }

    public void Dispose() => File.Dispose();
}
