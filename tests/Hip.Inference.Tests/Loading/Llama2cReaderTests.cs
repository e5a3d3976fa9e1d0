using Xunit;

namespace Hip.Inference.Tests.Loading;

public sealed class Llama2cReaderTests : IDisposable
{
    private static readonly byte[] s_stories = File.ReadAllBytes(ModelLoaderTests.StoriesBin);

    private readonly string _folder = Directory.CreateTempSubdirectory("hip-l2c-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string LoadFails(byte[] bytes)
    {
        string path = Path.Combine(_folder, "bad.bin");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => HostModel.Read(path));
        Assert.StartsWith($"Loading '{path}' failed: {path}", e.Message);
        return e.Message;
    }

    private static byte[] WithHeaderField(int field, int value)
    {
        var bytes = (byte[])s_stories.Clone();
        BitConverter.TryWriteBytes(bytes.AsSpan(field * 4), value);
        return bytes;
    }

    [Theory]
    [InlineData(0, -64, "Dim is -64, expected a positive number")]
    [InlineData(1, 0, "HiddenDim is 0, expected a positive number")]
    [InlineData(2, 0, "LayerCount is 0")]
    [InlineData(3, 0, "HeadCount is 0")]
    [InlineData(4, -4, "KvHeadCount is -4")]
    [InlineData(5, 0, "VocabSize is 0")]
    [InlineData(6, -1, "ContextLength is -1")]
    [InlineData(0, 1 << 21, "Dim is 2097152, expected at most 131072")]
    [InlineData(5, 1 << 25, "VocabSize is 33554432, expected at most 16777216")]
    [InlineData(3, 7, "Dim 64 is not a multiple of HeadCount 7")]
    [InlineData(4, 3, "HeadCount 8 is not a multiple of KvHeadCount 3")]
    [InlineData(3, 64, "HeadDim 1 (= 64 / 64) is odd")]
    public void Load_BadHeaderField_ThrowsNamingField(int field, int value, string expected)
    {
        string message = LoadFails(WithHeaderField(field, value));

        Assert.Contains(expected, message);
    }

    [Fact]
    public void Load_HeadDimAbove128_ThrowsSayingKernelLimit()
    {
        var bytes = WithHeaderField(0, 256);
        BitConverter.TryWriteBytes(bytes.AsSpan(12), 1);   // one head of 256
        BitConverter.TryWriteBytes(bytes.AsSpan(16), 1);

        string message = LoadFails(bytes);

        Assert.Contains("HeadDim 256 is larger than 128; the kernels support head dims up to 128", message);
    }

    [Fact]
    public void Load_ExtraBytes_ThrowsWithExpectedAndFoundSize()
    {
        string message = LoadFails([.. s_stories, 0, 0, 0, 0]);

        Assert.Contains($"implies {s_stories.Length} bytes, found {s_stories.Length + 4}", message);
    }

    [Fact]
    public void Load_NegativeVocab_ExpectsSeparateClassifier()
    {
        string message = LoadFails(WithHeaderField(5, -512));

        Assert.Contains($"implies {s_stories.Length + 512 * 64 * 4} bytes, found {s_stories.Length}", message);
    }

    [Fact]
    public void Load_NegativeVocabWithClassifier_ReadsSeparateOutput()
    {
        var bytes = WithHeaderField(5, -512);
        var classifier = new byte[512 * 64 * 4];
        Array.Copy(bytes, 28, classifier, 0, classifier.Length);   // reuse the embedding as wcls
        string path = Path.Combine(_folder, "unshared.bin");
        File.WriteAllBytes(path, [.. bytes, .. classifier]);

        var checkpoint = HostModel.Read(path);

        Assert.Equal(512, checkpoint.Config.VocabSize);
        Assert.True(checkpoint.Has("output.weight"));
        Assert.Equal(checkpoint.Floats("token_embd.weight"), checkpoint.Floats("output.weight"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Load_VersionedAk42Header_ThrowsNamingVersion(int version)
    {
        var bytes = new byte[256 + 1024];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), Llama2cReader.VersionedMagic);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), version);

        string message = LoadFails(bytes);

        Assert.Contains($"llama2.c checkpoint version {version} (\"ak42\" header) is not supported; only version 0", message);
    }

    [Fact]
    public void Load_ShorterThanHeader_ThrowsWithSize()
    {
        string message = LoadFails(s_stories[..27]);

        Assert.Contains("file is 27 bytes, shorter than the 28-byte llama2.c header", message);
    }
}
