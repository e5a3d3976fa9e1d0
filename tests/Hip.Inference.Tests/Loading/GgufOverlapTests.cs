using System.Diagnostics;
using Xunit;

namespace Hip.Inference.Tests.Loading;

/// <summary>GGUF tensor tables that would make the loader read (and allocate) more than the file holds.</summary>
public sealed class GgufOverlapTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hip-gguf-overlap-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Save(byte[] bytes, string name = "model.gguf")
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void ReadHeader_EveryTensorAtTheSameBytes_ThrowsBeforeAllocating()
    {
        var bytes = File.ReadAllBytes(ModelLoaderTests.StoriesGguf);
        foreach (var fields in GgufTestFile.Scan(bytes).Tensors.Values)
            GgufTestFile.PatchU64(bytes, fields.Offset, 0);   // all point at the first tensor's data
        string path = Save(bytes);

        var e = Assert.Throws<InvalidDataException>(() => GgufReader.ReadHeader(path));
        Assert.Contains("overlap", e.Message);
        Assert.Throws<InvalidDataException>(() => ModelLoader.OpenChecked(path));
    }

    [Fact]
    public void ReadHeader_AbsurdBlockCount_Throws()
    {
        var (metadata, tensors) = GgufTestFile.ReadRaw(ModelLoaderTests.StoriesGguf);
        var changed = metadata.Select(kv => kv.Key == GgufKeys.BlockCount("llama") ? new KeyValuePair<string, object>(kv.Key, 65536u) : kv);
        string path = Save(GgufTestFile.Write(changed, tensors));

        var e = Assert.Throws<InvalidDataException>(() => GgufReader.ReadHeader(path));
        Assert.Contains("block_count", e.Message);
    }

    [Fact]
    public void ReadHeader_WellFormedFile_StillReads()
    {
        var file = GgufReader.ReadHeader(ModelLoaderTests.StoriesGguf);
        Assert.NotEmpty(file.Tensors);
    }

    /// <summary>
    /// Fixed seed, at most 3 s: point random tensors at other tensors' data (or a byte inside it). Every such file is
    /// refused with InvalidDataException naming an overlap, never read.
    /// </summary>
    [Fact]
    public void ReadHeader_RandomOverlappingOffsets_AlwaysRefused()
    {
        var original = File.ReadAllBytes(ModelLoaderTests.StoriesGguf);
        var layout = GgufTestFile.Scan(original);
        var header = GgufReader.ReadHeader(ModelLoaderTests.StoriesGguf);
        var fields = header.Tensors.Select(t => (Info: t, Fields: layout.Tensors[t.Name])).Where(x => x.Info.ByteCount is not null).ToList();
        var random = new Random(1234);
        var watch = Stopwatch.StartNew();
        int cases = 0;
        string path = Path.Combine(_folder, "fuzz.gguf");
        while (watch.Elapsed < TimeSpan.FromSeconds(3) && cases < 300)
        {
            var bytes = (byte[])original.Clone();
            int moved = random.Next(1, 4);
            var target = fields[random.Next(fields.Count)];   // stays put; 1 to 3 others move into its bytes
            foreach (var victim in fields.Where(f => !ReferenceEquals(f.Info, target.Info)).OrderBy(_ => random.Next()).Take(moved))
            {
                long alignedStarts = (target.Info.ByteCount!.Value + header.Alignment - 1) / header.Alignment;   // aligned offsets inside the target
                long offset = target.Info.Offset + random.NextInt64(0, alignedStarts) * header.Alignment;
                GgufTestFile.PatchU64(bytes, victim.Fields.Offset, (ulong)offset);
            }
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<InvalidDataException>(() => GgufReader.ReadHeader(path));
            Assert.True(e.Message.Contains("overlap") || e.Message.Contains("file is"), e.Message);
            cases++;
        }
        Assert.True(cases >= 20, $"only {cases} cases ran");
    }
}
