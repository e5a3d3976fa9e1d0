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
                if (File.Find(spec.Name) is { } tensor && GgmlTypes.Block(tensor.Type) is var (values, bytes))
                    total += spec.IsVector ? spec.Cols * sizeof(float)
                        : tensor.Type == GgmlType.Q8_0 ? tensor.Rows * tensor.Cols * sizeof(float)   // expanded on load
                        : tensor.Rows * (tensor.Cols / values) * bytes;
            return total;
        }
    }

    public void Dispose() => File.Dispose();
}
