using Hip.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Inference;

/// <summary>One transformer block's weights on the device; fused file tensors (qkv, gate|up) arrive split by rows.</summary>
public sealed class LayerWeights
{
    public MemoryBuffer1D<float, Stride1D.Dense> AttentionNorm { get; internal set; } = null!;   // [dim]
    public DeviceMatrix Wq { get; internal set; } = null!;                                      // [heads·headDim, dim]
    public DeviceMatrix Wk { get; internal set; } = null!;                                      // [kvDim, dim]
    public DeviceMatrix Wv { get; internal set; } = null!;                                      // [kvDim, dim]
    public MemoryBuffer1D<float, Stride1D.Dense>? Bq { get; internal set; }                     // [heads·headDim] (Qwen2)
    public MemoryBuffer1D<float, Stride1D.Dense>? Bk { get; internal set; }                     // [kvDim]
    public MemoryBuffer1D<float, Stride1D.Dense>? Bv { get; internal set; }                     // [kvDim]
    public DeviceMatrix Wo { get; internal set; } = null!;                                      // [dim, heads·headDim]
    public MemoryBuffer1D<float, Stride1D.Dense> FfnNorm { get; internal set; } = null!;         // [dim]
    public DeviceMatrix Gate { get; internal set; } = null!;                                    // [hidden, dim]
    public DeviceMatrix Up { get; internal set; } = null!;                                      // [hidden, dim]
    public DeviceMatrix Down { get; internal set; } = null!;                                    // [dim, hidden]
}

/// <summary>
/// All of a model's weights, checked against its architecture's tensor table, then uploaded once and kept on the
/// device. Matrices keep their file type (quantized blocks stay quantized, re-packed for aligned loads); vectors
/// become float32. Whole-model vectors
/// that only shape the RoPE tables (rope_freqs, rope factors) stay on the host.
/// </summary>
public sealed class ModelWeights : IDisposable
{
    private const int ChunkBytes = 64 << 20;   // host staging per copy
    private readonly List<IDisposable> _owned = [];
    private readonly Dictionary<WeightSlot, float[]> _hostVectors = [];

    public DeviceMatrix TokenEmbedding { get; private set; } = null!;                   // [vocab, dim]
    public MemoryBuffer1D<float, Stride1D.Dense> OutputNorm { get; private set; } = null!; // [dim]
    public DeviceMatrix Output { get; private set; } = null!;                           // [vocab, dim]; the embedding when tied
    public IReadOnlyList<LayerWeights> Layers { get; }
    /// <summary>Device bytes of all weights.</summary>
    public long SizeInBytes { get; private set; }

    /// <summary>A whole-model host vector (rope_freqs, rope factors), or null when the file has none.</summary>
    public float[]? HostVector(WeightSlot slot) => _hostVectors.GetValueOrDefault(slot);

    private ModelWeights(int layers) =>
        Layers = Enumerable.Range(0, layers).Select(_ => new LayerWeights()).ToArray();

    /// <summary>
    /// Checks every tensor of <paramref name="file"/> against <paramref name="table"/> before allocating anything
    /// (missing, unexpected, wrong shape, unsupported type, out of the file: <see cref="InvalidDataException"/> naming the
    /// tensor, expected vs found), then uploads them on <paramref name="stream"/>.
    /// </summary>
    public static ModelWeights Load(ModelFile file, ModelConfig config, IReadOnlyList<TensorSpec> table, Accelerator accelerator, AcceleratorStream stream)
    {
        var plan = Check(file, config, table);
        var weights = new ModelWeights(config.LayerCount);
        try
        {
            var buffer = new byte[ChunkBytes];
            foreach (var (spec, tensor) in plan)
                weights.Upload(file, spec, tensor, config, accelerator, buffer);
            weights.Output ??= weights.TokenEmbedding;   // tied classifier
            accelerator.Synchronize();                   // uploads went through the default stream; the model's runs on its own
            return weights;
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The file's tensors paired with their table entries, after checking them all (the step <see cref="Load"/> takes
    /// before allocating): missing, unexpected, wrong shape, unsupported type or outside the file throw.
    /// </summary>
    public static List<(TensorSpec Spec, ModelTensor Tensor)> Check(ModelFile file, ModelConfig config, IReadOnlyList<TensorSpec> table)
    {
        string arch = config.Architecture;
        var specs = table.ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var tensor in file.Tensors)
            if (!specs.ContainsKey(tensor.Name))
                throw new InvalidDataException(
                    $"{file.Path}: tensor '{GgufReader.Show(tensor.Name)}' {tensor.TypeName} {tensor.DimsText} is not part of the '{arch}' architecture " +
                    $"({config.LayerCount} layers); the engine would ignore it, so the file is refused. Is general.architecture right?");
        var plan = new List<(TensorSpec, ModelTensor)>();
        foreach (var spec in table)
        {
            var tensor = file.Find(spec.Name);
            if (tensor is null)
            {
                if (spec.Required)
                    throw new InvalidDataException($"{file.Path}: tensor '{spec.Name}' is missing (expected GGUF dims {spec.DimsText} for architecture '{arch}').");
                continue;
            }
            bool shapeOk = tensor.Cols == spec.Cols && tensor.Rows == spec.Rows;
            for (int d = 2; d < tensor.Dims.Count; d++)
                shapeOk &= tensor.Dims[d] == 1;
            if (!shapeOk)
                throw new InvalidDataException(
                    $"{file.Path}: tensor '{spec.Name}' has GGUF dims {tensor.DimsText}, expected {spec.DimsText} (a [{spec.Rows}, {spec.Cols}] {(spec.IsVector ? "vector" : "matrix")}).");
            if (!WeightTypes.IsSupported((int)tensor.Type))
                throw new InvalidDataException(
                    $"{file.Path}: tensor '{spec.Name}' {tensor.DimsText} is {tensor.TypeName}, which is not supported; supported: {string.Join(", ", WeightTypes.All.Select(t => t.Type))}.");
            var info = WeightTypes.Get((WeightType)tensor.Type);
            int blockValues = info.ValuesPerBlock, blockBytes = info.BytesPerBlock;
            if (spec.IsVector && blockValues != 1)
                throw new InvalidDataException($"{file.Path}: vector '{spec.Name}' is {tensor.TypeName}; vectors must be F32, F16 or BF16.");
            if (tensor.Cols % blockValues != 0)
                throw new InvalidDataException(
                    $"{file.Path}: tensor '{spec.Name}' is {tensor.TypeName} with rows of {tensor.Cols} values, expected a multiple of its block size {blockValues}.");
            long bytes = tensor.Rows * (tensor.Cols / blockValues) * blockBytes;
            if (tensor.FileOffset < 0 || tensor.FileOffset > file.FileBytes || bytes > file.FileBytes - tensor.FileOffset)
                throw new InvalidDataException(
                    $"{file.Path}: tensor '{spec.Name}' {tensor.TypeName} {tensor.DimsText} needs bytes {tensor.FileOffset}..{tensor.FileOffset + bytes}, but the file is {file.FileBytes} bytes.");
            plan.Add((spec, tensor));
        }
        return plan;
    }

    private void Upload(ModelFile file, TensorSpec spec, ModelTensor tensor, ModelConfig c, Accelerator a, byte[] buffer)
    {
        var layer = spec.Layer >= 0 ? (LayerWeights)Layers[spec.Layer] : null;
        switch (spec.Slot)
        {
            case WeightSlot.RopeFrequencies or WeightSlot.RopeFactorsLong or WeightSlot.RopeFactorsShort:
                _hostVectors[spec.Slot] = ReadVector(file, tensor);
                return;
            case WeightSlot.OutputNorm: OutputNorm = Vector(file, tensor, a); return;
            case WeightSlot.AttentionNorm: layer!.AttentionNorm = Vector(file, tensor, a); return;
            case WeightSlot.FfnNorm: layer!.FfnNorm = Vector(file, tensor, a); return;
            case WeightSlot.Bq: layer!.Bq = Vector(file, tensor, a); return;
            case WeightSlot.Bk: layer!.Bk = Vector(file, tensor, a); return;
            case WeightSlot.Bv: layer!.Bv = Vector(file, tensor, a); return;
            case WeightSlot.TokenEmbedding: TokenEmbedding = Matrix(file, tensor, 0, (int)tensor.Rows, a, buffer); return;
            case WeightSlot.Output: Output = Matrix(file, tensor, 0, (int)tensor.Rows, a, buffer); return;
            case WeightSlot.Wq: layer!.Wq = Matrix(file, tensor, 0, (int)tensor.Rows, a, buffer); return;
            case WeightSlot.Wk: layer!.Wk = Matrix(file, tensor, 0, (int)tensor.Rows, a, buffer); return;
            case WeightSlot.Wv: layer!.Wv = Matrix(file, tensor, 0, (int)tensor.Rows, a, buffer); return;
            case WeightSlot.Wo: layer!.Wo = Matrix(file, tensor, 0, (int)tensor.Rows, a, buffer); return;
            case WeightSlot.Gate: layer!.Gate = Matrix(file, tensor, 0, (int)tensor.Rows, a, buffer); return;
            case WeightSlot.Up: layer!.Up = Matrix(file, tensor, 0, (int)tensor.Rows, a, buffer); return;
            case WeightSlot.Down: layer!.Down = Matrix(file, tensor, 0, (int)tensor.Rows, a, buffer); return;
            case WeightSlot.Wqkv:   // rows q | k | v
                layer!.Wq = Matrix(file, tensor, 0, c.QueryDim, a, buffer);
                layer.Wk = Matrix(file, tensor, c.QueryDim, c.KvDim, a, buffer);
                layer.Wv = Matrix(file, tensor, c.QueryDim + c.KvDim, c.KvDim, a, buffer);
                return;
            case WeightSlot.GateUp:   // rows gate | up
                layer!.Gate = Matrix(file, tensor, 0, c.HiddenDim, a, buffer);
                layer.Up = Matrix(file, tensor, c.HiddenDim, c.HiddenDim, a, buffer);
                return;
            default:
                throw new InvalidOperationException($"Weight slot {spec.Slot} has no upload rule.");
        }
    }

    // rows [firstRow, firstRow + rows) of a matrix tensor, in its own type
    private DeviceMatrix Matrix(ModelFile file, ModelTensor tensor, long firstRow, int rows, Accelerator a, byte[] buffer)
    {
        int cols = (int)tensor.Cols;
        long rowBytes = WeightTypes.Get((WeightType)tensor.Type).BytesPerRow(cols);
        int rowsPerChunk = (int)Math.Max(1, Math.Min(rows, buffer.Length / rowBytes));
        var matrix = DeviceMatrix.Allocate(a, (WeightType)tensor.Type, rows, cols);
        try
        {
            for (int r = 0; r < rows; r += rowsPerChunk)
            {
                int count = Math.Min(rowsPerChunk, rows - r);
                var chunk = buffer.AsSpan(0, (int)(count * rowBytes));
                file.Read(tensor, (firstRow + r) * rowBytes, chunk);
                matrix.CopyRowsFromHost(r, chunk);
            }
        }
        catch
        {
            matrix.Dispose();
            throw;
        }
        _owned.Add(matrix);
        SizeInBytes += matrix.SizeInBytes;
        return matrix;
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Vector(ModelFile file, ModelTensor tensor, Accelerator a)
    {
        var values = ReadVector(file, tensor);
        var buffer = a.Allocate1D(values);
        _owned.Add(buffer);
        SizeInBytes += values.Length * sizeof(float);
        return buffer;
    }

    private static float[] ReadVector(ModelFile file, ModelTensor tensor)
    {
        int n = (int)tensor.Cols;
        var values = new float[n];
        int width = tensor.Type == GgmlType.F32 ? 4 : 2;
        var bytes = new byte[n * width];
        file.Read(tensor, 0, bytes);
        for (int i = 0; i < n; i++)
            values[i] = tensor.Type switch
            {
                GgmlType.F32 => BitConverter.ToSingle(bytes, 4 * i),
                GgmlType.F16 => (float)BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(bytes, 2 * i)),
                _ => BitConverter.UInt32BitsToSingle((uint)BitConverter.ToUInt16(bytes, 2 * i) << 16),
            };
        return values;
    }

    public void Dispose()
    {
        foreach (var item in _owned)
            item.Dispose();
        _owned.Clear();
    }
}
