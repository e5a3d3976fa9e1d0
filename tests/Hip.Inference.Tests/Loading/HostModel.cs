using System.Buffers.Binary;
using Hip.Kernels;

namespace Hip.Inference.Tests.Loading;

/// <summary>A model file read on the host for tests: its checked source, and any tensor decoded to float32.</summary>
internal sealed class HostModel
{
    private readonly Dictionary<string, ModelTensor> _tensors;

    public string Format { get; }
    public ModelConfig Config { get; }
    public IReadOnlyDictionary<string, object> Metadata { get; }
    public long FileBytes { get; }
    public IReadOnlyList<ModelTensor> Tensors { get; }
    private readonly string _path;

    private HostModel(ModelSource source)
    {
        _path = source.File.Path;
        Format = source.File.Format;
        Config = source.Config;
        Metadata = source.File.Metadata;
        FileBytes = source.File.FileBytes;
        Tensors = source.File.Tensors;
        _tensors = Tensors.ToDictionary(t => t.Name);
    }

    /// <summary>Opens and checks <paramref name="path"/> as the engine does before uploading (every error the loader gives).</summary>
    public static HostModel Read(string path)
    {
        using var source = ModelLoader.OpenChecked(path);
        return new HostModel(source);
    }

    public ModelTensor Tensor(string name) => _tensors[name];

    public bool Has(string name) => _tensors.ContainsKey(name);

    /// <summary>The tensor's values as float32 (F32, F16, BF16, Q8_0).</summary>
    public float[] Floats(string name)
    {
        var t = _tensors[name];
        using var file = ModelFile.Open(_path);
        var (values, bytes) = GgmlTypes.Block(t.Type)!.Value;
        long count = t.Rows * t.Cols;
        var raw = new byte[count / values * bytes];
        file.Read(t, 0, raw);
        var result = new float[count];
        for (long i = 0; i < count; i++)
            result[i] = t.Type switch
            {
                GgmlType.F32 => BitConverter.ToSingle(raw, (int)(4 * i)),
                GgmlType.F16 => WeightBits.ToFloat(BitConverter.ToUInt16(raw, (int)(2 * i)), WeightFormat.F16),
                GgmlType.BF16 => WeightBits.ToFloat(BitConverter.ToUInt16(raw, (int)(2 * i)), WeightFormat.BF16),
                GgmlType.Q8_0 => (sbyte)raw[i / 32 * 34 + 2 + i % 32]
                    * (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan((int)(i / 32 * 34)))),
                _ => throw new NotSupportedException($"{t.Type} in a test"),
            };
        return result;
    }
}
