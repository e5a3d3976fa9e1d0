using System.Diagnostics;
using System.Numerics;
using Hip.Inference;

namespace Hip.Bench;

/// <summary>
/// Writes a random-weight GGUF of a <see cref="SyntheticShape"/> through <see cref="GgufWriter"/>, once per shape and
/// type, into a cache folder. Fast enough for every fresh GPU machine (the 8B F16 file is 15 GB): a pool of random
/// blocks of each type is generated in parallel, then each tensor is streamed from the pool at random block offsets,
/// so the run is bound by the disk. Quantized types get random quant bytes with small finite scales (no quantizing of
/// floats). Values keep activations finite through every layer: weights of standard deviation about 0.02, norms 1,
/// biases about 0.02, rope_freqs as Llama 3.1's converter computes them.
/// </summary>
internal static class SyntheticModel
{
    /// <summary>Standard deviation of the random weights.</summary>
    public const float WeightScale = 0.02f;

    private const int PoolBytes = 32 << 20;

    /// <summary>The default cache folder: ~/.cache/hip-agents/synthetic.</summary>
    public static string DefaultCache => Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "hip-agents", "synthetic");

    /// <summary>
    /// The file for <paramref name="shape"/> and <paramref name="type"/> in <paramref name="cache"/>: reused when present
    /// and complete (a marker file holds its length), else written to a temporary name and renamed at the end.
    /// </summary>
    public static (string Path, bool Reused, TimeSpan WriteTime) Ensure(SyntheticShape shape, SyntheticWeightType type, string cache, TextWriter log)
    {
        Directory.CreateDirectory(cache);
        string path = System.IO.Path.Combine(cache, $"synthetic-{shape.Name}-{type.Name}.gguf");
        string marker = path + ".complete";
        if (File.Exists(path) && File.Exists(marker) && File.ReadAllText(marker).Trim() == new FileInfo(path).Length.ToString())
            return (path, true, TimeSpan.Zero);
        File.Delete(marker);
        var tensors = shape.Tensors(type);
        long bytes = tensors.Sum(t => t.Bytes);
        var drive = new DriveInfo(System.IO.Path.GetFullPath(cache));
        if (drive.AvailableFreeSpace < bytes + (1L << 30))
            throw new IOException(
                $"{cache}: the {shape.Name} {type.Name} file needs {bytes / 1e9:F1} GB but the disk has {drive.AvailableFreeSpace / 1e9:F1} GB free: " +
                "free space or pass --cache DIR on a larger disk.");
        log.WriteLine($"[generate] writing {path} ({bytes / 1e9:F2} GB of tensor data, {tensors.Count} tensors)");
        var watch = Stopwatch.StartNew();
        string partial = path + ".partial";
        Write(shape, type, partial, seed: 1);
        File.Move(partial, path, overwrite: true);
        File.WriteAllText(marker, new FileInfo(path).Length.ToString());
        log.WriteLine($"[generate] wrote {path} in {watch.Elapsed.TotalSeconds:F1} s");
        return (path, false, watch.Elapsed);
    }

    /// <summary>Writes the whole file to <paramref name="path"/>.</summary>
    public static void Write(SyntheticShape shape, SyntheticWeightType type, string path, int seed)
    {
        var tensors = shape.Tensors(type);
        var pools = new Dictionary<GgmlType, byte[]>();
        foreach (var t in tensors.Select(t => t.Type).Distinct().Where(t => t != GgmlType.F32))
            pools[t] = Pool(t, seed + (int)t);
        var random = new Random(seed);
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.SequentialScan);
        using var writer = new GgufWriter(stream, shape.Metadata(type), tensors);
        foreach (var t in tensors)
        {
            if (t.Type == GgmlType.F32)
            {
                writer.WriteData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Vector(shape, t.Name, (int)t.Dims[0], random).AsSpan()));
                continue;
            }
            var pool = pools[t.Type];
            int block = BlockBytes(t.Type);
            for (long left = t.Bytes; left > 0;)
            {
                // a random whole-block start inside the pool, so tensors differ from one another
                int start = random.Next(PoolBytes / block / 2) * block;
                int take = (int)Math.Min(left, (pool.Length - start) / block * block);
                writer.WriteData(pool.AsSpan(start, take));
                left -= take;
            }
        }
        writer.Finish();
    }

    private static float[] Vector(SyntheticShape shape, string name, int length, Random random)
    {
        var values = new float[length];
        if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            Array.Fill(values, 1f);
        else if (name == "rope_freqs.weight")
            LlamaThreeRopeFactors(shape, values);
        else
            for (int i = 0; i < length; i++)
                values[i] = (float)(random.NextDouble() * 2 - 1) * WeightScale;
        return values;
    }

    // Llama 3.1's rope scaling (factor 8, low 1, high 4, original context 8192; Llama 3.2 1B: factor 32) as divisors.
    private static void LlamaThreeRopeFactors(SyntheticShape shape, float[] factors)
    {
        double factor = shape.Name == "llama-3.2-1b" ? 32 : 8, low = 1, high = 4, original = 8192;
        for (int i = 0; i < factors.Length; i++)
        {
            double frequency = Math.Pow(shape.RopeBase, -2.0 * i / shape.HeadDim);
            double wavelength = 2 * Math.PI / frequency;
            if (wavelength < original / high)
                factors[i] = 1f;
            else if (wavelength > original / low)
                factors[i] = (float)factor;
            else
            {
                double smooth = (original / wavelength - low) / (high - low);
                factors[i] = (float)(1 / ((1 - smooth) / factor + smooth));
            }
        }
    }

    internal static int BlockBytes(GgmlType type) => type switch
    {
        GgmlType.F16 or GgmlType.BF16 => 2,
        GgmlType.Q8_0 => 34,
        GgmlType.Q4_K => 144,
        GgmlType.Q5_K => 176,
        GgmlType.Q6_K => 210,
        _ => throw new NotSupportedException($"No synthetic blocks of {type}."),
    };

    /// <summary>About <see cref="PoolBytes"/> of valid random blocks of <paramref name="type"/>, made in parallel.</summary>
    internal static byte[] Pool(GgmlType type, int seed)
    {
        int block = BlockBytes(type);
        int blocks = PoolBytes / block;
        var pool = new byte[(long)blocks * block];
        int chunks = Environment.ProcessorCount * 4;
        Parallel.For(0, chunks, chunk =>
        {
            var random = new Random(seed * 7919 + chunk);
            int from = (int)((long)blocks * chunk / chunks), to = (int)((long)blocks * (chunk + 1) / chunks);
            for (int b = from; b < to; b++)
                FillBlock(type, pool.AsSpan(b * block, block), random);
        });
        return pool;
    }

    private static ushort Half(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    // One block of random values of standard deviation about WeightScale with mean about 0 (see REAL-MODELS.md §3).
    internal static void FillBlock(GgmlType type, Span<byte> b, Random random)
    {
        switch (type)
        {
            case GgmlType.F16:
                BitConverter.TryWriteBytes(b, Half(Uniform(random)));
                break;
            case GgmlType.BF16:
                BitConverter.TryWriteBytes(b, (ushort)(BitConverter.SingleToUInt32Bits(Uniform(random)) >> 16));
                break;
            case GgmlType.Q8_0:
            {
                // x = d·q, q uniform in [-127, 127] (standard deviation 73)
                BitConverter.TryWriteBytes(b, Half(WeightScale / 73f));
                random.NextBytes(b[2..]);
                for (int i = 2; i < 34; i++)
                    if (b[i] == 0x80)
                        b[i] = 0x81;   // -128 is outside llama.cpp's range
                break;
            }
            case GgmlType.Q4_K:
            case GgmlType.Q5_K:
            {
                // x = d·sc·q − dmin·m, q uniform in 0..15 (mean 7.5, sd 4.6; Q5_K: 0..31 with the random qh bits, mean 15.5,
                // sd 9.2); sc in 32..63, m = sc/2 and dmin = 15·d (31·d) centre it
                bool five = type == GgmlType.Q5_K;
                float d = WeightScale / (47f * (five ? 9.2f : 4.6f));
                BitConverter.TryWriteBytes(b, Half(d));
                BitConverter.TryWriteBytes(b[2..], Half((five ? 31 : 15) * d));
                Span<byte> sc = stackalloc byte[8], m = stackalloc byte[8];
                for (int j = 0; j < 8; j++)
                {
                    sc[j] = (byte)random.Next(32, 64);
                    m[j] = (byte)(sc[j] / 2);
                }
                var scales = b.Slice(4, 12);
                for (int j = 0; j < 4; j++)
                {
                    scales[j] = (byte)((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
                    scales[j + 4] = (byte)((m[j] & 63) | ((m[j + 4] >> 4) << 6));
                    scales[j + 8] = (byte)((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
                }
                random.NextBytes(b[16..]);
                break;
            }
            case GgmlType.Q6_K:
            {
                // x = d·S·(q − 32), q uniform in 0..63 (sd 18.5), S in 8..24
                random.NextBytes(b[..192]);                       // ql[128], qh[64]
                for (int i = 0; i < 16; i++)
                    b[192 + i] = (byte)(sbyte)random.Next(8, 25); // scales
                BitConverter.TryWriteBytes(b[208..], Half(WeightScale / (16f * 18.5f)));
                break;
            }
            default:
                throw new NotSupportedException($"No synthetic blocks of {type}.");
        }
    }

    // uniform in [-√3·s, √3·s]: standard deviation s
    private static float Uniform(Random random) => (float)((random.NextDouble() * 2 - 1) * 1.7320508 * WeightScale);
}
