using Hip.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Inference;

/// <summary>One transformer block's weights on the device.</summary>
public sealed class LlamaLayerWeights
{
    public required MemoryBuffer1D<float, Stride1D.Dense> AttentionNorm { get; init; }   // [dim]
    public required DeviceMatrix Wq { get; init; }                                      // [dim, dim]
    public required DeviceMatrix Wk { get; init; }                                      // [kvDim, dim]
    public required DeviceMatrix Wv { get; init; }                                      // [kvDim, dim]
    public required DeviceMatrix Wo { get; init; }                                      // [dim, dim]
    public required MemoryBuffer1D<float, Stride1D.Dense> FfnNorm { get; init; }         // [dim]
    public required DeviceMatrix W1 { get; init; }                                      // gate [hidden, dim]
    public required DeviceMatrix W2 { get; init; }                                      // down [dim, hidden]
    public required DeviceMatrix W3 { get; init; }                                      // up [hidden, dim]
}

/// <summary>All of a Llama model's weights, uploaded once and kept on the device.</summary>
public sealed class LlamaWeights : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public DeviceMatrix TokenEmbedding { get; }                       // [vocab, dim]
    public IReadOnlyList<LlamaLayerWeights> Layers { get; }
    public MemoryBuffer1D<float, Stride1D.Dense> OutputNorm { get; }  // [dim]
    public DeviceMatrix Output { get; }                               // [vocab, dim]; the embedding when tied
    public long SizeInBytes { get; private set; }

    public LlamaWeights(Accelerator accelerator, LlamaCheckpoint checkpoint)
    {
        TokenEmbedding = Matrix(accelerator, checkpoint.TokenEmbedding);
        Output = checkpoint.Output is null ? TokenEmbedding : Matrix(accelerator, checkpoint.Output);
        OutputNorm = Vector(accelerator, checkpoint.OutputNorm);
        Layers = checkpoint.Layers.Select(l => new LlamaLayerWeights
        {
            AttentionNorm = Vector(accelerator, l.AttentionNorm),
            Wq = Matrix(accelerator, l.Wq),
            Wk = Matrix(accelerator, l.Wk),
            Wv = Matrix(accelerator, l.Wv),
            Wo = Matrix(accelerator, l.Wo),
            FfnNorm = Vector(accelerator, l.FfnNorm),
            W1 = Matrix(accelerator, l.W1),
            W2 = Matrix(accelerator, l.W2),
            W3 = Matrix(accelerator, l.W3),
        }).ToList();
    }

    private DeviceMatrix Matrix(Accelerator accelerator, HostTensor tensor)
    {
        var matrix = tensor.Format == WeightFormat.F32
            ? DeviceMatrix.FromFloats(accelerator, tensor.Floats, tensor.Rows, tensor.Cols)
            : DeviceMatrix.FromBits(accelerator, tensor.Bits, tensor.Rows, tensor.Cols, tensor.Format);
        _owned.Add(matrix);
        SizeInBytes += matrix.SizeInBytes;
        return matrix;
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Vector(Accelerator accelerator, HostTensor tensor)
    {
        var values = tensor.ToFloats();
        var buffer = accelerator.Allocate1D(values);
        _owned.Add(buffer);
        SizeInBytes += values.Length * sizeof(float);
        return buffer;
    }

    public void Dispose()
    {
        foreach (var item in _owned)
            item.Dispose();
        _owned.Clear();
    }
}
