namespace Hip.Kernels;

/// <summary>16 bytes (eight 16-bit values) moved as one access (ld.global.v4.u32).</summary>
internal struct Bits128
{
    public uint X, Y, Z, W;
}

/// <summary>8 bytes (two 32-bit words) moved as one access (ld.shared.v2.u32): an mma B fragment's two registers.</summary>
internal struct Bits64
{
    public uint X, Y;
}
