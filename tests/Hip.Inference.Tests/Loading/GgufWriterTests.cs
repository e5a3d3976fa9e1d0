using Xunit;

namespace Hip.Inference.Tests.Loading;

public sealed class GgufWriterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hip-gguf-writer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void WriteData_InUnevenPieces_GivesTheSameFileAsWholeTensors()
    {
        var metadata = new Dictionary<string, object> { ["general.architecture"] = "llama", ["t.count"] = 3u };
        GgufWriter.Tensor[] tensors =
        [
            new("a", [5, 3], GgmlType.F16),     // 30 bytes: padding follows
            new("b", [64], GgmlType.Q8_0),      // 2 blocks, 68 bytes
            new("c", [7], GgmlType.F32),
        ];
        var data = tensors.Select((t, i) => RandomBytes((int)t.Bytes, i)).ToArray();
        var whole = GgufWriter.ToBytes(metadata, tensors.Zip(data), alignment: 64);
        string path = Path.Combine(_folder, "pieces.gguf");
        var all = data.SelectMany(d => d).ToArray();

        using (var writer = new GgufWriter(File.Create(path), metadata, tensors, alignment: 64))
        {
            for (int at = 0; at < all.Length; at += 11)   // pieces that straddle tensor ends
                writer.WriteData(all.AsSpan(at, Math.Min(11, all.Length - at)));
            writer.Finish();
            Assert.Equal(whole.Length, writer.FileLength);
        }

        Assert.Equal(whole, File.ReadAllBytes(path));
        var file = GgufReader.ReadHeader(path);
        Assert.Equal(64L, Convert.ToInt64(file.Metadata[GgufKeys.Alignment]));
        Assert.Equal(["a", "b", "c"], file.Tensors.Select(t => t.Name));
        for (int i = 0; i < tensors.Length; i++)
        {
            var info = file.Tensors[i];
            Assert.Equal(0, (file.DataOffset + info.Offset) % 64);
            Assert.Equal(data[i], whole.AsSpan((int)(file.DataOffset + info.Offset), data[i].Length).ToArray());
        }
    }

    [Fact]
    public void Finish_MissingBytes_NamesTheTensor()
    {
        using var writer = new GgufWriter(new MemoryStream(), [], [new("w", [32], GgmlType.F16)]);
        writer.WriteData(new byte[10]);
        var error = Assert.Throws<InvalidOperationException>(writer.Finish);
        Assert.Contains("'w' got 10 of its 64 bytes", error.Message);
    }

    [Fact]
    public void WriteData_MoreThanDeclared_Throws()
    {
        using var writer = new GgufWriter(new MemoryStream(), [], [new("w", [2], GgmlType.F32)]);
        Assert.Throws<InvalidOperationException>(() => writer.WriteData(new byte[9]));
    }

    [Theory]
    [InlineData(GgmlType.Q4_K, 512, 288)]
    [InlineData(GgmlType.Q6_K, 256, 210)]
    [InlineData(GgmlType.Q8_0, 64, 68)]
    [InlineData(GgmlType.BF16, 3, 6)]
    public void DataBytes_BlockTypes_CountWholeBlocks(GgmlType type, long elements, long bytes)
    {
        Assert.Equal(bytes, GgufWriter.DataBytes(type, elements));
    }
}
