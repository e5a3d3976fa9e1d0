using Hip.Kernels;
using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests.Loading;

public sealed class ModelLoaderTests
{
    internal static string StoriesBin => Path.Combine(RepoPaths.Stories260K, "stories260K.bin");
    internal static string StoriesGguf => Path.Combine(RepoPaths.Stories260K, "stories260K.gguf");

    private static readonly ModelConfig StoriesConfig = new()
    {
        Dim = 64, HiddenDim = 172, LayerCount = 5, HeadCount = 8, KvHeadCount = 4, VocabSize = 512, ContextLength = 512,
    };

    private static readonly string[] LayerTensors =
        ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_down", "ffn_up"];

    [Fact]
    public void Read_Stories260KBin_PresentsTheHeaderAsLlamaKeysAndTheArraysAsGgufTensors()
    {
        var model = HostModel.Read(StoriesBin);

        Assert.Equal("llama2.c", model.Format);
        Assert.Equal(StoriesConfig, model.Config);
        Assert.Equal(8, model.Config.HeadDim);
        Assert.Equal(32, model.Config.KvDim);
        Assert.Equal(RopeLayout.Interleaved, model.Config.RopeLayout);
        Assert.Equal("llama", model.Metadata[GgufKeys.Architecture]);
        Assert.False(model.Has("output.weight"));   // tied
        Assert.Equal(1_056_540, model.FileBytes);
        Assert.Equal(2 + 9 * 5, model.Tensors.Count);
        AssertShape(model.Tensor("token_embd.weight"), 512, 64);
        AssertShape(model.Tensor("output_norm.weight"), 1, 64);
        AssertShape(model.Tensor("blk.4.attn_norm.weight"), 1, 64);
        AssertShape(model.Tensor("blk.4.attn_q.weight"), 64, 64);
        AssertShape(model.Tensor("blk.4.attn_k.weight"), 32, 64);
        AssertShape(model.Tensor("blk.4.ffn_gate.weight"), 172, 64);
        AssertShape(model.Tensor("blk.4.ffn_down.weight"), 64, 172);
    }

    [Fact]
    public void Read_Stories260KBinAndGguf_GiveSameConfigAndWeights()
    {
        var bin = HostModel.Read(StoriesBin);
        var gguf = HostModel.Read(StoriesGguf);

        Assert.Equal("gguf", gguf.Format);
        Assert.Equal(bin.Config, gguf.Config);
        Assert.False(gguf.Has("output.weight"));
        Assert.Equal("stories260K", gguf.Metadata[GgufKeys.Name]);
        var names = new[] { "token_embd.weight", "output_norm.weight" }
            .Concat(Enumerable.Range(0, 5).SelectMany(l => LayerTensors.Select(n => $"blk.{l}.{n}.weight"))).ToList();
        Assert.Equal(names.Order(), gguf.Tensors.Select(t => t.Name).Order());
        foreach (string name in names)
        {
            Assert.Equal(GgmlType.F32, gguf.Tensor(name).Type);
            Assert.Equal(gguf.Tensor(name).Dims, bin.Tensor(name).Dims);
            Assert.True(bin.Floats(name).AsSpan().SequenceEqual(gguf.Floats(name)), $"{name} differs");
        }
    }

    [Fact]
    public void Read_TinyRandomGguf_KeepsF16MatricesAndSeparateOutput()
    {
        var model = HostModel.Read(RepoPaths.TinyRandomGguf);

        var expected = new ModelConfig
        {
            Dim = 8, HiddenDim = 32, LayerCount = 1, HeadCount = 2, KvHeadCount = 2, VocabSize = 32000, ContextLength = 4096,
        };
        Assert.Equal(expected, model.Config);
        AssertShape(model.Tensor("output.weight"), 32000, 8);
        Assert.Equal(GgmlType.F16, model.Tensor("output.weight").Type);
        Assert.Equal(GgmlType.F16, model.Tensor("token_embd.weight").Type);
        foreach (string name in LayerTensors.Where(n => !n.EndsWith("norm", StringComparison.Ordinal)))
            Assert.Equal(GgmlType.F16, model.Tensor($"blk.0.{name}.weight").Type);
        Assert.Equal(12, model.Tensors.Count);
    }

    [Fact]
    public void Load_TinyRandomGguf_UploadsF16MatricesAsTheyAre()
    {
        var host = HostModel.Read(RepoPaths.TinyRandomGguf);
        using var source = ModelLoader.Open(RepoPaths.TinyRandomGguf);
        using var weights = ModelWeights.Load(source.File, source.Config, source.Tensors, TestGpu.Gpu.Accelerator, TestGpu.Kernels.Stream);

        var wq = weights.Layers[0].Wq;
        Assert.Equal(WeightFormat.F16, wq.Format);
        Assert.Equal(host.Floats("blk.0.attn_q.weight"), wq.ToFloats());
        Assert.NotSame(weights.TokenEmbedding, weights.Output);
        Assert.Contains(wq.ToFloats(), f => f != 0);
    }

    [Fact]
    public void Open_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => ModelLoader.Open(Path.Combine(RepoPaths.Models, "no-such-model.gguf")));
    }

    internal static void AssertShape(ModelTensor tensor, long rows, long cols) =>
        Assert.Equal((rows, cols), (tensor.Rows, tensor.Cols));
}
