namespace Hip.Kernels;

/// <summary>
/// Host-side moves between the head-major layout [kvHeads, positions, headDim] (data sets, captures) and the
/// <see cref="KvLayout"/> block layout [blocks, kvHeads, 64, headDim] the kernels and references read.
/// </summary>
public static class KvLayoutConversion
{
    /// <summary>Head-major [kvHeads, positions, headDim] to blocks [blocks(positions), kvHeads, 64, headDim] (padding zero).</summary>
    public static float[] ToBlocks(ReadOnlySpan<float> headMajor, int kvHeads, int positions, int headDim)
    {
        var blocks = new float[checked((int)KvLayout.LayerElements(positions, kvHeads, headDim))];
        for (int g = 0; g < kvHeads; g++)
            for (int t = 0; t < positions; t++)
                headMajor.Slice((g * positions + t) * headDim, headDim).CopyTo(blocks.AsSpan((int)(KvLayout.Row(t, g, kvHeads) * headDim), headDim));
        return blocks;
    }

    /// <summary>Blocks [blocks, kvHeads, 64, headDim] to head-major [kvHeads, positions, headDim] (the first positions only).</summary>
    public static float[] ToHeadMajor(ReadOnlySpan<float> blocks, int kvHeads, int positions, int headDim)
    {
        var headMajor = new float[checked(kvHeads * positions * headDim)];
        for (int g = 0; g < kvHeads; g++)
            for (int t = 0; t < positions; t++)
                blocks.Slice((int)(KvLayout.Row(t, g, kvHeads) * headDim), headDim).CopyTo(headMajor.AsSpan((g * positions + t) * headDim, headDim));
        return headMajor;
    }
}
