using Hip.Kernels;

namespace Hip.Inference;

/// <summary>
/// Opens a model file, picks its architecture and reads its shape (no device work), then uploads its weights and
/// builds the model. A malformed or unsupported file gives an <see cref="InvalidDataException"/>
/// "Loading '{path}' failed: ..." naming the key or tensor, expected vs found.
/// </summary>
public static class ModelLoader
{
    /// <summary>The opened file with its architecture and validated shape; the caller disposes the file.</summary>
    public static ModelSource Open(string path)
    {
        var file = ModelFile.Open(path);
        try
        {
            return Wrap(path, () =>
            {
                var architecture = ModelArchitecture.For(file);
                var config = architecture.ReadConfig(file);
                return new ModelSource(file, architecture, config, architecture.Tensors(config));
            });
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Opens <paramref name="path"/> and checks every tensor against its architecture's table (no device work).</summary>
    public static ModelSource OpenChecked(string path)
    {
        var source = Open(path);
        try
        {
            Wrap(path, () => ModelWeights.Check(source.File, source.Config, source.Tensors));
            return source;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Uploads the weights of <paramref name="source"/> and builds its model on <paramref name="kernels"/>.</summary>
    public static TransformerModel Create(ModelSource source, KernelSet kernels, int maxPositions, int maxBatch, Func<int, IAttentionPolicy> attention)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(kernels);
        var weights = Wrap(source.File.Path, () =>
            ModelWeights.Load(source.File, source.Config, source.Tensors, kernels.Accelerator, kernels.Stream));
        try
        {
            return source.Architecture.Create(kernels, source.Config, weights, maxPositions, maxBatch, attention);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>Opens <paramref name="path"/> and builds its model with dense attention (tests and tools).</summary>
    public static TransformerModel Load(string path, KernelSet kernels, int? maxPositions = null, int maxBatch = 8)
    {
        using var source = Open(path);
        var config = source.Config;
        return Create(source, kernels, maxPositions ?? config.ContextLength, maxBatch, _ => new DenseAttentionPolicy(kernels, config));
    }

    private static T Wrap<T>(string path, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith("Loading '", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Loading '{path}' failed: {e.Message}", e);
        }
    }
}
