using System.Diagnostics;
using Hip.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Hip.Inference.Tests.Loading;

/// <summary>
/// Truncated and byte-corrupted copies of the shipped models: every case must either load or throw
/// <see cref="InvalidDataException"/> — never another exception, a hang or a huge allocation.
/// </summary>
public sealed class ModelLoaderCorruptionTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);   // a hang fails instead of blocking the run

    private readonly string _folder = Directory.CreateTempSubdirectory("hip-corrupt-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string> Models => new()
    {
        Path.Combine("stories260K", "stories260K.gguf"),
        Path.Combine("stories260K", "stories260K.bin"),
        Path.Combine("llama-2-tiny-random-gguf", "llama-2-tiny-random.gguf"),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Load_TruncatedFile_ThrowsInvalidData(string model)
    {
        var bytes = File.ReadAllBytes(Path.Combine(RepoPaths.Models, model));
        var lengths = new SortedSet<long> { 0, 1, 3, 4, 7, 8, 15, 16, 23, 24, 27, 28, 29, 31, 32, 40, 64, 100, 1000, bytes.Length - 1 };
        for (int i = 1; i < 50; i++)
            lengths.Add((long)bytes.Length * i / 50);
        if (model.EndsWith(".gguf", StringComparison.Ordinal))
        {
            var layout = GgufTestFile.Scan(bytes);
            long dataOffset = GgufReader.ReadHeader(Path.Combine(RepoPaths.Models, model)).DataOffset;
            foreach (long at in new[] { layout.KvCount, layout.FirstKey, layout.FirstKey + 8, layout.TensorInfos, layout.HeaderEnd, dataOffset })
            {
                lengths.Add(at - 1);
                lengths.Add(at);
                lengths.Add(at + 1);
            }
        }
        string path = Path.Combine(_folder, Path.GetFileName(model));

        RunWithBudget(() =>
        {
            foreach (long length in lengths.Where(l => l >= 0 && l < bytes.Length))
            {
                File.WriteAllBytes(path, bytes[..(int)length]);
                var e = Record.Exception(() => HostModel.Read(path));
                Assert.True(e is InvalidDataException, $"{model} cut to {length} bytes: {Describe(e)}");
                Assert.Contains(path, e!.Message);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Load_CorruptedHeaderBytes_LoadsOrThrowsInvalidData(string model)
    {
        string source = Path.Combine(RepoPaths.Models, model);
        var original = File.ReadAllBytes(source);
        bool gguf = model.EndsWith(".gguf", StringComparison.Ordinal);
        var (cases, metadataEnd, infosEnd, dataEnd) = gguf
            ? (250, GgufTestFile.Scan(original).TensorInfos, GgufTestFile.Scan(original).HeaderEnd, original.Length)
            : (100, Llama2cReader.HeaderBytes, Llama2cReader.HeaderBytes, original.Length);
        string path = Path.Combine(_folder, Path.GetFileName(model));
        File.WriteAllBytes(path, original);
        var random = new Random(20240601 + model.Length);
        int loaded = 0, refused = 0;
        var reasons = new Dictionary<string, int>();

        RunWithBudget(() =>
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            for (int i = 0; i < cases; i++)
            {
                // where: the fixed header, the metadata, the tensor infos, now and then the weights
                double where = random.NextDouble();
                long at = where < 0.25 ? random.Next(0, 32)
                    : where < 0.55 ? random.NextInt64(0, metadataEnd)
                    : where < 0.95 ? random.NextInt64(Math.Min(metadataEnd, infosEnd - 1), infosEnd)
                    : random.NextInt64(infosEnd, dataEnd);
                at = Math.Min(at, original.Length - 1);
                var patch = Mutation(random, original, at, out string kind);

                file.Position = at;
                file.Write(patch);
                file.Flush();
                var e = Record.Exception(() => HostModel.Read(path));
                file.Position = at;
                file.Write(original, (int)at, patch.Length);
                file.Flush();

                Assert.True(e is null or InvalidDataException, $"{model} case {i}, {kind} at {at}: {Describe(e)}");
                if (e is null)
                {
                    loaded++;
                    continue;
                }
                refused++;
                string reason = Reason(e.Message);
                reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
            }
        });
        output.WriteLine($"{model}: {loaded} loaded, {refused} refused");
        foreach (var (reason, count) in reasons.OrderByDescending(r => r.Value))
            output.WriteLine($"  {count,4} x {reason}");
        Assert.True(refused > cases / 10, $"{model}: only {refused} of {cases} corruptions were refused ({loaded} loaded)");
    }

    /// <summary>Bytes to write at <paramref name="at"/>: a flipped bit, 0xFF, eight 0xFF bytes, or a striking 64-bit value.</summary>
    private static byte[] Mutation(Random random, byte[] original, long at, out string kind)
    {
        int room = (int)Math.Min(8, original.Length - at);
        switch (random.Next(5))
        {
            case 0:
                int bit = random.Next(8);
                kind = $"bit {bit} flipped";
                return [(byte)(original[at] ^ (1 << bit))];
            case 1:
                kind = "0xFF";
                return [0xFF];
            case 2:
                kind = $"{room} x 0xFF";
                return Enumerable.Repeat((byte)0xFF, room).ToArray();
            case 3:
                byte value = (byte)random.Next(256);
                kind = $"byte 0x{value:X2}";
                return [value];
            default:
                ulong[] striking = [0, 1, 5, 13, 0x7FFF_FFFF, 0xFFFF_FFFF, 1UL << 32, 1UL << 60, long.MaxValue, (ulong)random.NextInt64()];
                ulong number = striking[random.Next(striking.Length)];
                kind = $"u64 {number}";
                return BitConverter.GetBytes(number)[..room];
        }
    }

    /// <summary>The message without the file name and numbers, to group refusals in the test output.</summary>
    private static string Reason(string message)
    {
        string text = message[(message.LastIndexOf(": ", StringComparison.Ordinal) + 2)..];
        return System.Text.RegularExpressions.Regex.Replace(text, "[0-9]+", "#");
    }

    private static string Describe(Exception? e) => e is null ? "loaded without error" : $"{e.GetType().Name}: {e.Message}";

    private static void RunWithBudget(Action action)
    {
        var watch = Stopwatch.StartNew();
        var work = Task.Run(action);
        Assert.True(work.Wait(Budget), $"corruption cases still running after {watch.Elapsed}: a load hangs");
        work.GetAwaiter().GetResult();
    }
}
