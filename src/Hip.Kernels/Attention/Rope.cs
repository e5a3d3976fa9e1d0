using ILGPU;

namespace Hip.Kernels;

/// <summary>Where RoPE's rotated pairs sit inside a head.</summary>
public enum RopeLayout
{
    /// <summary>Adjacent pairs (2i, 2i+1): llama2.c and llama-architecture GGUF files.</summary>
    Interleaved,
    /// <summary>Halves (i, i + D/2): Hugging Face checkpoints and NeoX-style GGUF architectures.</summary>
    RotateHalf,
}

/// <summary>Rotary position embedding applied in place to q and k; cos/sin tables are computed on the host in double.</summary>
public static class Rope
{
    /// <summary>cos and sin tables [positions, headDim / 2]: angle = pos · theta^(−2i / headDim).</summary>
    public static (float[] Cos, float[] Sin) Tables(int positions, int headDim, double theta)
    {
        int half = headDim / 2;
        var cos = new float[(long)positions * half];
        var sin = new float[(long)positions * half];
        for (int i = 0; i < half; i++)
        {
            double frequency = Math.Pow(theta, -2.0 * i / headDim);
            for (int p = 0; p < positions; p++)
            {
                double angle = p * frequency;
                cos[(long)p * half + i] = (float)Math.Cos(angle);
                sin[(long)p * half + i] = (float)Math.Sin(angle);
            }
        }
        return (cos, sin);
    }

    // q: [tokens, heads * headDim]   k: [tokens, kvHeads * headDim]   cos, sin: [positions, headDim / 2]
    // position: [1]. One thread per rotated pair: index over tokens * (heads + kvHeads) * headDim / 2. Token t sits at
    // start + t, where start is startPos, or position[0] when startPos is KvPosition.OnDevice (a graph-replayed decode step).
    public static void Kernel(Index1D index, ArrayView<float> q, ArrayView<float> k, ArrayView<float> cos, ArrayView<float> sin,
        ArrayView<int> position, int heads, int kvHeads, int headDim, int startPos, int rotateHalf)
    {
        int half = headDim / 2;
        int pair = index % half;
        int rest = index / half;
        int head = rest % (heads + kvHeads);
        int t = rest / (heads + kvHeads);
        bool isQuery = head < heads;
        int headCount = isQuery ? heads : kvHeads;
        int h = isQuery ? head : head - heads;
        long baseIdx = ((long)t * headCount + h) * headDim;
        long i0 = baseIdx + (rotateHalf != 0 ? pair : 2 * pair);
        long i1 = baseIdx + (rotateHalf != 0 ? pair + half : 2 * pair + 1);
        long table = (long)(KvPosition.Resolve(position, startPos) + t) * half + pair;
        float c = cos[table], s = sin[table];
        var v = isQuery ? q : k;
        float a = v[i0], b = v[i1];
        v[i0] = a * c - b * s;
        v[i1] = a * s + b * c;
    }

    public static void Reference(Span<float> v, int tokens, int heads, int headDim, int startPos, RopeLayout layout, double theta)
    {
        int half = headDim / 2;
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < half; i++)
                {
                    double angle = (startPos + t) * Math.Pow(theta, -2.0 * i / headDim);
                    int baseIdx = (t * heads + h) * headDim;
                    int i0 = baseIdx + (layout == RopeLayout.RotateHalf ? i : 2 * i);
                    int i1 = baseIdx + (layout == RopeLayout.RotateHalf ? i + half : 2 * i + 1);
                    double a = v[i0], b = v[i1];
                    v[i0] = (float)(a * Math.Cos(angle) - b * Math.Sin(angle));
                    v[i1] = (float)(a * Math.Sin(angle) + b * Math.Cos(angle));
                }
    }
}
