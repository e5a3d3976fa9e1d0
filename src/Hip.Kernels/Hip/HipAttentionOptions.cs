namespace Hip.Kernels;

/// <summary>
/// HiP (Gen2) attention settings; defaults are the official code's (docs/hip.md, options). Token counts are in keys; blocks are
/// runs of consecutive queries (BlockSizeQ) or keys (BlockSizeK). Call <see cref="Validate"/> once before use.
/// </summary>
public sealed record HipAttentionOptions
{
    /// <summary>Keys kept per query block by the mask (mask k): K / BlockSizeK key blocks.</summary>
    public int K { get; init; } = 512;

    /// <summary>Queries per query block: one mask per (head, query block).</summary>
    public int BlockSizeQ { get; init; } = 64;

    /// <summary>Every BlockStrideQ-th query of a block scores the tree's branches (docs/hip.md, mask estimation).</summary>
    public int BlockStrideQ { get; init; } = 2;

    /// <summary>Keys per key block: the unit the mask selects.</summary>
    public int BlockSizeK { get; init; } = 2;

    /// <summary>Every BlockStrideK-th key of a representative block is scored.</summary>
    public int BlockStrideK { get; init; } = 1;

    /// <summary>Keys [0, SinkTokens) are always attended.</summary>
    public int SinkTokens { get; init; } = 16;

    /// <summary>The last WindowTokens keys of each query are always attended (sliding window).</summary>
    public int WindowTokens { get; init; } = 256;

    /// <summary>Decode recomputes each layer's mask every RefreshInterval steps and reuses it between (docs/hip.md, prefill and decode).</summary>
    public int RefreshInterval { get; init; } = 8;

    /// <summary>
    /// Layers 0 .. DenseLayers-1 use dense attention (docs/hip.md). Read where the per-layer attention policies are chosen
    /// (the engine's, or any caller's); <see cref="HipAttention"/> itself runs HiP on whatever layer it is given.
    /// </summary>
    public int DenseLayers { get; init; } = 3;

    /// <summary>The largest K accepted; the mask kernel also holds at most <see cref="MaskEstimation.MaxChunks"/> key blocks.</summary>
    public int MaxK { get; init; } = 4096;

    /// <summary>Key blocks kept per query block: K / BlockSizeK.</summary>
    public int Chunks => BlockSizeK > 0 ? K / BlockSizeK : 0;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first option that is out of range.</summary>
    public HipAttentionOptions Validate()
    {
        PowerOfTwo(BlockSizeQ, nameof(BlockSizeQ));
        PowerOfTwo(BlockStrideQ, nameof(BlockStrideQ));
        PowerOfTwo(BlockSizeK, nameof(BlockSizeK));
        PowerOfTwo(BlockStrideK, nameof(BlockStrideK));
        if (BlockStrideQ > BlockSizeQ)
            throw Bad(nameof(BlockStrideQ), BlockStrideQ, $"must not exceed BlockSizeQ ({BlockSizeQ})");
        if (BlockStrideK > BlockSizeK)
            throw Bad(nameof(BlockStrideK), BlockStrideK, $"must not exceed BlockSizeK ({BlockSizeK})");
        if (K <= 0 || K % BlockSizeK != 0)
            throw Bad(nameof(K), K, $"must be a positive multiple of BlockSizeK ({BlockSizeK})");
        if (K > MaxK)
            throw Bad(nameof(K), K, $"must not exceed MaxK ({MaxK})");
        if (K / BlockSizeK > MaskEstimation.MaxChunks)
            throw Bad(nameof(K), K, $"K / BlockSizeK must not exceed {MaskEstimation.MaxChunks} key blocks (the mask kernel's shared memory)");
        if (SinkTokens < 0)
            throw Bad(nameof(SinkTokens), SinkTokens, "must not be negative");
        if (SinkTokens % BlockSizeK != 0)
            throw Bad(nameof(SinkTokens), SinkTokens, $"must be a multiple of BlockSizeK ({BlockSizeK}) so key blocks start after the sink");
        if (WindowTokens < 0)
            throw Bad(nameof(WindowTokens), WindowTokens, "must not be negative");
        if (RefreshInterval <= 0)
            throw Bad(nameof(RefreshInterval), RefreshInterval, "must be positive");
        if (DenseLayers < 0)
            throw Bad(nameof(DenseLayers), DenseLayers, "must not be negative");
        return this;
    }

    private static void PowerOfTwo(int value, string name)
    {
        if (value <= 0 || (value & (value - 1)) != 0)
            throw Bad(name, value, "must be a power of two");
    }

    private static ArgumentException Bad(string name, int value, string rule) =>
        new($"HipAttentionOptions.{name} = {value} {rule}.", name);
}
