namespace Hip.Bench;

/// <summary>
/// Keys (and queries) from a smooth AR(1) walk per KV head: x_t = ρ·x_{t−1} + √(1 − ρ²)·ε_t with unit Gaussian ε, so
/// neighbouring keys score alike (the locality of HIP.md §2.1) and far ones independently. Queries are β times their own
/// walk (logits q·k/√D ≈ N(0, β²)); values are unit Gaussian noise.
/// </summary>
public sealed class RandomWalkDataset(double correlation, double queryStrength) : IAttentionDataset
{
    public string Name => "random-walk";

    public AttentionLayerData Create(AttentionShape shape, int queries, int seed)
    {
        var (t, h, g, d) = (shape.Context, shape.Heads, shape.KvHeads, shape.HeadDim);
        var k = new float[(long)g * t * d];
        var v = new float[(long)g * t * d];
        var q = new float[(long)queries * h * d];
        float rho = (float)correlation, innovation = MathF.Sqrt(1 - rho * rho);
        Parallel.For(0, g, kv =>
        {
            var random = new Gaussian(Gaussian.Derive(seed, kv));
            var keys = k.AsSpan((int)((long)kv * t * d), t * d);
            random.Fill(keys[..d]);
            for (int pos = 1; pos < t; pos++)
                for (int x = 0; x < d; x++)
                    keys[pos * d + x] = rho * keys[(pos - 1) * d + x] + innovation * random.Next();
            random.Fill(v.AsSpan((int)((long)kv * t * d), t * d));
        });
        Parallel.For(0, h, head =>
        {
            var random = new Gaussian(Gaussian.Derive(seed, -1 - head));
            var state = new float[d];
            random.Fill(state);
            for (int i = 0; i < queries; i++)
            {
                for (int x = 0; x < d; x++)
                {
                    if (i > 0)
                        state[x] = rho * state[x] + innovation * random.Next();
                    q[(i * h + head) * d + x] = (float)queryStrength * state[x];
                }
            }
        });
        return new AttentionLayerData(q, k, v, t - queries);
    }
}
