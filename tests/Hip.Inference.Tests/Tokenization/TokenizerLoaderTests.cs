using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests.Tokenization;

public sealed class TokenizerLoaderTests
{
    private static string StoriesBin => Path.Combine(RepoPaths.Stories260K, "stories260K.bin");

    [Fact]
    public void ForModel_Llama2cCheckpoint_FindsTok512BesideIt()
    {
        var checkpoint = ModelLoader.Load(StoriesBin);

        var tokenizer = TokenizerLoader.ForModel(StoriesBin, checkpoint);

        Assert.Equal(HipTokenizerTests.LilyIds, tokenizer.Encode(HipTokenizerTests.Lily, addBos: true));
    }

    [Fact]
    public void ForModel_Gguf_UsesMetadataTokenizer()
    {
        var checkpoint = ModelLoader.Load(RepoPaths.TinyRandomGguf);

        var tokenizer = TokenizerLoader.ForModel(RepoPaths.TinyRandomGguf, checkpoint);

        Assert.Equal(HipTokenizerTests.LilyIdsLlama2, tokenizer.Encode(HipTokenizerTests.Lily, addBos: true));
    }

    [Fact]
    public void ForModel_ExplicitTokenizerPath_Wins()
    {
        var checkpoint = ModelLoader.Load(RepoPaths.TinyRandomGguf);

        var tokenizer = TokenizerLoader.ForModel(RepoPaths.TinyRandomGguf, checkpoint, HipTokenizerTests.Tok512Path);

        Assert.Equal(512, tokenizer.VocabSize);
    }

    [Fact]
    public void ForModel_Llama2cWithoutTokenizerFile_ThrowsAskingForPath()
    {
        string folder = Directory.CreateTempSubdirectory("hip-tok-").FullName;
        try
        {
            string model = Path.Combine(folder, "model.bin");
            File.Copy(StoriesBin, model);
            var checkpoint = ModelLoader.Load(model);

            var e = Assert.Throws<FileNotFoundException>(() => TokenizerLoader.ForModel(model, checkpoint));

            Assert.Contains("tokenizer path", e.Message);
            Assert.Contains("tok512.model", e.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ForModel_TokenizerLargerThanEmbedding_ThrowsInvalidData()
    {
        var checkpoint = ModelLoader.Load(StoriesBin);
        var smaller = new LlamaCheckpoint
        {
            Path = checkpoint.Path, FileFormat = checkpoint.FileFormat, Config = checkpoint.Config with { VocabSize = 100 },
            TokenEmbedding = checkpoint.TokenEmbedding, OutputNorm = checkpoint.OutputNorm, Layers = checkpoint.Layers,
            Metadata = checkpoint.Metadata, FileBytes = checkpoint.FileBytes,
        };

        var e = Assert.Throws<InvalidDataException>(() => TokenizerLoader.ForModel(StoriesBin, smaller, HipTokenizerTests.Tok512Path));

        Assert.Contains("512 tokens", e.Message);
        Assert.Contains("100 rows", e.Message);
    }
}
