namespace Hip.Bench;

/// <summary>Standard normal samples (Box–Muller over a seeded <see cref="Random"/>), and unit vectors.</summary>
internal sealed class Gaussian(int seed)
{
    private readonly Random _random = new(seed);
    private float _spare;
    private bool _hasSpare;

    public float Next()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u1 = 1.0 - _random.NextDouble(), u2 = _random.NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = (float)(r * Math.Sin(2 * Math.PI * u2));
        _hasSpare = true;
        return (float)(r * Math.Cos(2 * Math.PI * u2));
    }

    public double Uniform(double low, double high) => low + (high - low) * _random.NextDouble();

    public int Int(int low, int high) => _random.Next(low, high);

    public void Fill(Span<float> values, float scale = 1f)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = scale * Next();
    }

    public float[] UnitVector(int dim)
    {
        var u = new float[dim];
        Fill(u);
        float norm = MathF.Sqrt(u.Sum(x => x * x));
        for (int i = 0; i < dim; i++)
            u[i] /= norm;
        return u;
    }

    /// <summary>
    /// A seed for stream <paramref name="index"/> of a run seeded with <paramref name="seed"/>: the same in every process
    /// (a SplitMix64 finalizer; HashCode.Combine, used before, is randomized per process, so one seed gave other data on
    /// every run).
    /// </summary>
    public static int Derive(int seed, int index)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z ^ (z >> 32));
    }
}
