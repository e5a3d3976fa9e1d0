using Hip.Kernels;

namespace Hip.TestSupport;

/// <summary>Fresh random inputs (never zeros) and tolerance checks for kernel-versus-reference tests.</summary>
public static class TestData
{
    /// <summary>Uniform values in [-scale, scale); a new seed per call unless one is given.</summary>
    public static float[] Random(int count, float scale = 1f, int? seed = null)
    {
        var random = seed is int s ? new Random(s) : System.Random.Shared;
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return values;
    }

    /// <summary>An output buffer's initial contents: NaN everywhere, so an element a kernel fails to write fails the check.</summary>
    public static float[] Poison(int count)
    {
        var values = new float[count];
        Array.Fill(values, float.NaN);
        return values;
    }

    /// <summary>Random [rows, cols] weights in <paramref name="format"/> on the test device; <paramref name="asFloats"/> gets the values the device reads.</summary>
    public static DeviceMatrix RandomMatrix(WeightFormat format, int rows, int cols, out float[] asFloats)
    {
        var a = TestGpu.Kernels.Accelerator;
        var values = Random(rows * cols);
        if (format == WeightFormat.F32)
        {
            asFloats = values;
            return DeviceMatrix.FromFloats(a, values, rows, cols);
        }
        var bits = values.Select(v => WeightBits.FromFloat(v, format)).ToArray();
        asFloats = bits.Select(b => WeightBits.ToFloat(b, format)).ToArray();
        return DeviceMatrix.FromBits(a, bits, rows, cols, format);
    }

    /// <summary>Fails unless |actual − expected| ≤ absolute + relative · |expected| element-wise (NaN never passes).</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double absolute, double relative, string what)
    {
        if (expected.Length != actual.Length)
            throw new Xunit.Sdk.XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs((double)actual[i] - expected[i]);
            if (!(diff <= absolute + relative * Math.Abs(expected[i])))
                throw new Xunit.Sdk.XunitException(
                    $"{what}: element {i} is {actual[i]}, expected {expected[i]} (|diff| {diff:E3} > {absolute:E1} + {relative:E1}·|expected|)");
        }
    }

    /// <summary>‖actual − expected‖₂ / ‖expected‖₂.</summary>
    public static double RelativeError(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        double num = 0, den = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = (double)actual[i] - expected[i];
            num += d * d;
            den += (double)expected[i] * expected[i];
        }
        return Math.Sqrt(num / Math.Max(den, 1e-300));
    }
}
