namespace Hip.Bench;

/// <summary>
/// Needles in a noise haystack. Per KV head a direction u; every query of the group is β·√D·u plus unit Gaussian noise,
/// so background logits q·k/√D are about N(0, 1 + β²). Keys are unit Gaussian noise, plus, at <see cref="Count"/> random
/// depths of the searchable middle, a bump along u whose logit gain is strength·exp(−(t − c)²/2σ²) (σ from the width at
/// half height, strength drawn from [0.7, 1]·<see cref="Strength"/>): a run of adjacent high-scoring keys with a smooth
/// flank, i.e. the locality a centre-sampling tree search relies on (HIP.md §2.1). Values are unit Gaussian noise.
/// </summary>
public sealed class NeedlesDataset(int count, double width, double strength, double queryStrength, int sink, int window) : IAttentionDataset
{
    public string Name => "needles";
    public int Count => count;
    public double Width => width;
    public double Strength => strength;

    public AttentionLayerData Create(AttentionShape shape, int queries, int seed)
    {
        var (t, h, g, d) = (shape.Context, shape.Heads, shape.KvHeads, shape.HeadDim);
        var k = new float[(long)g * t * d];
        var v = new float[(long)g * t * d];
        var q = new float[(long)queries * h * d];
        var directions = new float[g][];
        Parallel.For(0, g, kv =>
        {
            var random = new Gaussian(Gaussian.Derive(seed, kv));
            var u = directions[kv] = random.UnitVector(d);
            var keys = k.AsSpan((int)((long)kv * t * d), t * d);
            random.Fill(keys);
            random.Fill(v.AsSpan((int)((long)kv * t * d), t * d));
            double sigma = width / 2.355;
            int reach = (int)Math.Ceiling(4 * sigma);
            int low = sink + reach, high = Math.Max(low + 1, t - window - queries - reach);
            for (int n = 0; n < count; n++)
            {
                int centre = random.Int(low, high);
                double gain = strength * random.Uniform(0.7, 1.0) / queryStrength;   // q·(gain·u)/√D ≈ β·gain = strength
                for (int pos = Math.Max(0, centre - reach); pos <= Math.Min(t - 1, centre + reach); pos++)
                {
                    float a = (float)(gain * Math.Exp(-0.5 * Math.Pow((pos - centre) / sigma, 2)));
                    for (int x = 0; x < d; x++)
                        keys[pos * d + x] += a * u[x];
                }
            }
        });
        var queryRandom = new Gaussian(Gaussian.Derive(seed, -1));
        float beta = (float)queryStrength;
        for (int i = 0; i < queries; i++)
            for (int head = 0; head < h; head++)
            {
                var u = directions[head / (h / g)];
                var row = q.AsSpan((i * h + head) * d, d);
                queryRandom.Fill(row);
                for (int x = 0; x < d; x++)
                    row[x] += beta * MathF.Sqrt(d) * u[x];
            }
        return new AttentionLayerData(q, k, v, t - queries);
    }
}
