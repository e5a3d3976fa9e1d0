namespace Hip.Kernels;

/// <summary>How the keys and values of a KV cache are stored.</summary>
public enum KvPrecision
{
    /// <summary>IEEE float32 (<c>ArrayView&lt;float&gt;</c>): exact, for tests and golden runs.</summary>
    F32,
    /// <summary>IEEE float16 stored as raw 16-bit patterns (<c>ArrayView&lt;ushort&gt;</c>); kernels accumulate in float32.</summary>
    F16,
}

/// <summary>
/// The block layout of one layer's keys (or values): [blocks, kvHeads, BlockTokens, headDim]. Block b holds positions
/// b·BlockTokens .. b·BlockTokens + BlockTokens − 1 of every KV head; inside a block a head's rows are contiguous, so
/// 64 consecutive keys of one head are one contiguous tile. Today a sequence's block b is physical block b; a block table
/// (paging, sharing between sequences, host offload) replaces <c>t / BlockTokens</c> by a lookup without touching the
/// rest. BlockTokens is a multiple of every HiP key-block size in use.
/// </summary>
public static class KvLayout
{
    /// <summary>Positions per block.</summary>
    public const int BlockTokens = 64;

    /// <summary>log2 of <see cref="BlockTokens"/>.</summary>
    public const int BlockShift = 6;

    /// <summary>Row (in units of headDim elements) of position t of KV head g: ((t / B) · kvHeads + g) · B + t mod B.</summary>
    public static long Row(int t, int g, int kvHeads) =>
        ((long)(t >> BlockShift) * kvHeads + g) * BlockTokens + (t & (BlockTokens - 1));

    /// <summary>Blocks that hold <paramref name="capacity"/> positions.</summary>
    public static int Blocks(int capacity) => (capacity + BlockTokens - 1) / BlockTokens;

    /// <summary>Elements of one layer's keys (or values) for <paramref name="capacity"/> positions, rounded up to whole blocks.</summary>
    public static long LayerElements(int capacity, int kvHeads, int headDim) =>
        (long)Blocks(capacity) * kvHeads * BlockTokens * headDim;
}
