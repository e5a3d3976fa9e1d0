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

    /// <summary>The tensor's values as float32, dequantized as ggml does.</summary>
    public float[] Floats(string name)
    {
        var t = _tensors[name];
        using var file = ModelFile.Open(_path);
        var info = WeightTypes.Get((WeightType)t.Type);
        var raw = new byte[t.Rows * info.BytesPerRow(t.Cols)];
        file.Read(t, 0, raw);
        var result = new float[t.Rows * t.Cols];
        info.Dequantize(raw, result);
        return result;
    }
}
