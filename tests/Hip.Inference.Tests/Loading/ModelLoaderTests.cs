using Hip.Kernels;
using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests.Loading;

public sealed class ModelLoaderTests
{
    internal static string StoriesBin => Path.Combine(RepoPaths.Stories260K, "stories260K.bin");
    internal static string StoriesGguf => Path.Combine(RepoPaths.Stories260K, "stories260K.gguf");

    private static readonly LlamaConfig StoriesConfig = new()
    {
        Dim = 64, HiddenDim = 172, LayerCount = 5, HeadCount = 8, KvHeadCount = 4, VocabSize = 512, ContextLength = 512,
    };

    [Fact]
    public void Load_Stories260KBin_ReadsConfigAndTiedWeights()
    {
        var checkpoint = ModelLoader.Load(StoriesBin);

        Assert.Equal("llama2.c", checkpoint.FileFormat);
        Assert.Equal(StoriesConfig, checkpoint.Config);
        Assert.Equal(8, checkpoint.Config.HeadDim);
        Assert.Equal(32, checkpoint.Config.KvDim);
        Assert.Equal(RopeLayout.Interleaved, checkpoint.Config.RopeLayout);
        Assert.Null(checkpoint.Output);
        Assert.Empty(checkpoint.Metadata);
        Assert.Equal(1_056_540, checkpoint.FileBytes);
        Assert.Equal(5, checkpoint.Layers.Count);
        AssertShape(checkpoint.TokenEmbedding, 512, 64);
        AssertShape(checkpoint.OutputNorm, 1, 64);
        var layer = checkpoint.Layers[4];
        AssertShape(layer.AttentionNorm, 1, 64);
        AssertShape(layer.Wq, 64, 64);
        AssertShape(layer.Wk, 32, 64);
        AssertShape(layer.Wv, 32, 64);
        AssertShape(layer.Wo, 64, 64);
        AssertShape(layer.FfnNorm, 1, 64);
        AssertShape(layer.W1, 172, 64);
        AssertShape(layer.W2, 64, 172);
        AssertShape(layer.W3, 172, 64);
    }

    [Fact]
    public void Load_Stories260KBinAndGguf_GiveSameConfigAndWeights()
    {
        var bin = ModelLoader.Load(StoriesBin);
        var gguf = ModelLoader.Load(StoriesGguf);

        Assert.Equal("gguf", gguf.FileFormat);
        Assert.Equal(bin.Config, gguf.Config);
        Assert.Null(gguf.Output);
        Assert.Equal("stories260K", gguf.Metadata[GgufKeys.Name]);
        var pairs = Tensors(bin).Zip(Tensors(gguf)).ToList();
        Assert.Equal(2 + 9 * 5, pairs.Count);
        foreach (var (b, g) in pairs)
        {
            Assert.Equal(WeightFormat.F32, g.Format);
            Assert.Equal((b.Rows, b.Cols), (g.Rows, g.Cols));
            Assert.True(b.Floats!.AsSpan().SequenceEqual(g.Floats), $"{b.Name} differs from {g.Name}");
        }
    }

    [Fact]
    public void Load_TinyRandomGguf_KeepsF16MatricesAndSeparateOutput()
    {
        var checkpoint = ModelLoader.Load(RepoPaths.TinyRandomGguf);

        var expected = new LlamaConfig
        {
            Dim = 8, HiddenDim = 32, LayerCount = 1, HeadCount = 2, KvHeadCount = 2, VocabSize = 32000, ContextLength = 4096,
        };
        Assert.Equal(expected, checkpoint.Config);
        Assert.Equal(4, checkpoint.Config.HeadDim);
        Assert.NotNull(checkpoint.Output);
        AssertShape(checkpoint.Output!, 32000, 8);
        Assert.Equal(WeightFormat.F16, checkpoint.Output!.Format);
        Assert.Equal(WeightFormat.F16, checkpoint.TokenEmbedding.Format);
        Assert.Null(checkpoint.TokenEmbedding.Floats);
        Assert.Equal(32000 * 8, checkpoint.TokenEmbedding.Bits!.Length);
        var layer = Assert.Single(checkpoint.Layers);
        foreach (var matrix in new[] { layer.Wq, layer.Wk, layer.Wv, layer.Wo, layer.W1, layer.W2, layer.W3 })
            Assert.Equal(WeightFormat.F16, matrix.Format);
        foreach (var norm in new[] { layer.AttentionNorm, layer.FfnNorm, checkpoint.OutputNorm })
        {
            Assert.Equal(WeightFormat.F32, norm.Format);
            AssertShape(norm, 1, 8);
        }
        AssertShape(layer.W2, 8, 32);
        Assert.Equal(12, Tensors(checkpoint).Count());
    }

    [Fact]
    public void Load_TinyRandomGguf_F16ToFloatsMatchesHalfConversion()
    {
        var wq = ModelLoader.Load(RepoPaths.TinyRandomGguf).Layers[0].Wq;

        var floats = wq.ToFloats();

        for (int i = 0; i < floats.Length; i++)
            Assert.Equal((float)BitConverter.UInt16BitsToHalf(wq.Bits![i]), floats[i]);
        Assert.Contains(floats, f => f != 0);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => ModelLoader.Load(Path.Combine(RepoPaths.Models, "no-such-model.gguf")));
    }

    internal static void AssertShape(HostTensor tensor, int rows, int cols)
    {
        Assert.Equal((rows, cols), (tensor.Rows, tensor.Cols));
        int length = tensor.Format == WeightFormat.F32 ? tensor.Floats!.Length : tensor.Bits!.Length;
        Assert.Equal(rows * cols, length);
    }

    internal static IEnumerable<HostTensor> Tensors(LlamaCheckpoint c)
    {
        yield return c.TokenEmbedding;
        yield return c.OutputNorm;
        if (c.Output is not null)
            yield return c.Output;
        foreach (var l in c.Layers)
        {
            yield return l.AttentionNorm; yield return l.Wq; yield return l.Wk; yield return l.Wv; yield return l.Wo;
            yield return l.FfnNorm; yield return l.W1; yield return l.W2; yield return l.W3;
        }
    }
}
