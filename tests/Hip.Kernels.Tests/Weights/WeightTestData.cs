using System.Buffers.Binary;

namespace Hip.Kernels.Tests;

/// <summary>Random weight blocks of every type: random quant bytes, finite random fp16 scales.</summary>
internal static class WeightTestData
{
    /// <summary>Byte offsets of the fp16 scale fields in one block (d, m / dmin).</summary>
    private static int[] HalfFields(WeightType type) => type switch
    {
        WeightType.Q4_0 or WeightType.Q5_0 or WeightType.Q8_0 => [0],
        WeightType.Q4_1 or WeightType.Q5_1 or WeightType.Q4_K or WeightType.Q5_K => [0, 2],
        WeightType.Q6_K => [208],
        _ => [],
    };

    /// <summary>rows · cols values of <paramref name="type"/> as raw GGUF-layout bytes; scales in ±[0.002, 0.05).</summary>
    public static byte[] RandomBlocks(WeightType type, int rows, int cols, Random random)
    {
        var info = WeightTypes.Get(type);
        var bytes = new byte[rows * info.BytesPerRow(cols)];
        random.NextBytes(bytes);
        switch (type)
        {
            case WeightType.F32:
                for (int i = 0; i < bytes.Length; i += 4)
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i), (float)(random.NextDouble() * 2 - 1));
                return bytes;
            case WeightType.F16:
                for (int i = 0; i < bytes.Length; i += 2)
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i), BitConverter.HalfToUInt16Bits((Half)(random.NextDouble() * 2 - 1)));
                return bytes;
            case WeightType.BF16:
                for (int i = 0; i < bytes.Length; i += 2)
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i), (ushort)(BitConverter.SingleToUInt32Bits((float)(random.NextDouble() * 2 - 1)) >> 16));
                return bytes;
        }
        for (int b = 0; b < bytes.Length; b += info.BytesPerBlock)
            foreach (int field in HalfFields(type))
            {
                double magnitude = 0.002 + random.NextDouble() * 0.048;
                var scale = (Half)(random.Next(2) == 0 ? magnitude : -magnitude);
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(b + field), BitConverter.HalfToUInt16Bits(scale));
            }
        return bytes;
    }

    public static IEnumerable<object[]> AllTypes() => WeightTypes.All.Select(t => new object[] { t.Type });

    /// <summary>Every type but F32 (ggml has no to_float for f32: it is the identity).</summary>
    public static IEnumerable<object[]> ConvertedTypes() => WeightTypes.All.Where(t => t.Type != WeightType.F32).Select(t => new object[] { t.Type });

    public static IEnumerable<object[]> QuantizedTypes() => WeightTypes.All.Where(t => t.IsQuantized).Select(t => new object[] { t.Type });
}
