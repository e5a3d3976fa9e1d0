using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests.Tokenization;

public sealed class TokenizerLoaderTests
{
    private static string StoriesBin => Path.Combine(RepoPaths.Stories260K, "stories260K.bin");

    private static HipTokenizer For(string model, string? tokenizerPath = null, int? vocab = null)
    {
        using var source = ModelLoader.Open(model);
        return TokenizerLoader.ForModel(model, source.File.Metadata, source.File.Format, vocab ?? source.Config.VocabSize, tokenizerPath);
    }

    [Fact]
    public void ForModel_Llama2cCheckpoint_FindsTok512BesideIt()
    {
        var tokenizer = For(StoriesBin);

        Assert.Equal(HipTokenizerTests.LilyIds, tokenizer.Encode(HipTokenizerTests.Lily, addBos: true));
    }

    [Fact]
    public void ForModel_Gguf_UsesMetadataTokenizer()
    {
        var tokenizer = For(RepoPaths.TinyRandomGguf);

        Assert.Equal(HipTokenizerTests.LilyIdsLlama2, tokenizer.Encode(HipTokenizerTests.Lily, addBos: true));
    }

    [Fact]
    public void ForModel_ExplicitTokenizerPath_Wins()
    {
        var tokenizer = For(RepoPaths.TinyRandomGguf, HipTokenizerTests.Tok512Path);

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

            var e = Assert.Throws<FileNotFoundException>(() => For(model));

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
        var e = Assert.Throws<InvalidDataException>(() => For(StoriesBin, HipTokenizerTests.Tok512Path, vocab: 100));

        Assert.Contains("512 tokens", e.Message);
        Assert.Contains("100 rows", e.Message);
    }
}
