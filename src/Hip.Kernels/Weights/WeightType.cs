namespace Hip.Kernels;

/// <summary>How a weight tensor is stored, with ggml's type ids (the values a GGUF file's tensor table holds).</summary>
public enum WeightType
{
    /// <summary>IEEE float32.</summary>
    F32 = 0,
    /// <summary>IEEE float16.</summary>
    F16 = 1,
    /// <summary>32 values: fp16 scale, 4-bit quants with offset 8.</summary>
    Q4_0 = 2,
    /// <summary>32 values: fp16 scale and minimum, 4-bit quants.</summary>
    Q4_1 = 3,
    /// <summary>32 values: fp16 scale, 5-bit quants with offset 16.</summary>
    Q5_0 = 6,
    /// <summary>32 values: fp16 scale and minimum, 5-bit quants.</summary>
    Q5_1 = 7,
    /// <summary>32 values: fp16 scale, 8-bit signed quants.</summary>
    Q8_0 = 8,
    /// <summary>256 values: 8 sub-blocks with 6-bit scales and minimums, 4-bit quants.</summary>
    Q4_K = 12,
    /// <summary>256 values: as Q4_K with a fifth bit per quant.</summary>
    Q5_K = 13,
    /// <summary>256 values: 16 sub-blocks with 8-bit scales, 6-bit quants.</summary>
    Q6_K = 14,
    /// <summary>bfloat16 (the top 16 bits of a float32).</summary>
    BF16 = 30,
}
