using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;

namespace Hip.Kernels;

// The kernels that read weight matrices: mat-vec (decode), mat-mul (prefill), embedding gather and row
// dequantization, for every WeightType. Quantized matrices (and F32/F16/BF16 rows of whole 16-byte vectors) go
// through the block kernels (MatVecBlocks, DequantizeBlocks), specialised per type on its IBlockDecoder and loaded on
// first use of the type (call PrepareWeights before capturing a graph); other F32/F16/BF16 matrices through the
// element-wise reader kernels.
public sealed partial class KernelSet
{
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> _matVecF32 = null!;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, int, int> _matVecF16 = null!;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, int, int> _matVecBF16 = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> _matVecPerThreadF32 = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, int, int> _matVecPerThreadF16 = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, int, int> _matVecPerThreadBF16 = null!;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, int> _matMulF32 = null!;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, int, int, int, int, int> _matMulF16 = null!;
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, int, int, int, int, int> _matMulBF16 = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int> _embedF32 = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<ushort>, ArrayView<int>, ArrayView<float>, int, int> _embedF16 = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<ushort>, ArrayView<int>, ArrayView<float>, int, int> _embedBF16 = null!;
    private readonly Dictionary<WeightType, BlockKernels> _blockKernels = [];
    private MemoryBuffer1D<float, Stride1D.Dense>? _dequantizeScratch;   // prefill of quantized weights: rows dequantized to float32

    /// <summary>
    /// Whether the GPU form of the mat-vec of Q4_K, Q5_K, Q6_K and Q8_0 weights quantizes the activations to int8 and uses
    /// integer dot products (<see cref="MatVecQ8"/>, as llama.cpp's CUDA mat-vec does) rather than float products with
    /// float activations. On by default; <c>HIP_MATVEC_INT8=0</c> turns it off.
    /// </summary>
    public bool Int8Activations { get; set; } = Environment.GetEnvironmentVariable("HIP_MATVEC_INT8") != "0";

    /// <summary>Whether <see cref="MatVec"/> of <paramref name="w"/> takes the int8-activation kernel (<see cref="Int8Activations"/>).</summary>
    public bool UsesInt8Activations(DeviceMatrix w) =>
        Int8Activations && Variant == KernelVariant.Grouped && w.HasBlockView && Blocks(w.Type).MatVecQ8 is not null
        && w.Cols % w.Info.ValuesPerBlock == 0;

    private MemoryBuffer1D<int, Stride1D.Dense>? _int8Scratch;   // quantized activations of the int8 mat-vec
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<int>>? _quantizeQ8;

    /// <summary>
    /// y_i = x · W_iᵀ for several matrices that read the same x [rows, n] (q, k and v; gate and up): as <see cref="MatMul"/>
    /// each, except that the decode form quantizes x to int8 once for all the matrices that take the int8 kernel, and
    /// multiplies up to three consecutive matrices of one block type in one launch (<see cref="MatVecTargets"/>).
    /// </summary>
    public void MatMul(ArrayView<float> x, int rows, ReadOnlySpan<(DeviceMatrix W, ArrayView<float> Y)> products)
    {
        ArrayView<int> quantized = default;
        for (int i = 0; i < products.Length;)
        {
            var (w, y) = products[i];
            int count = Fusable(products, i, rows);
            if (rows < TiledMatMulMinRows && UsesInt8Activations(w))
            {
                if (quantized.Length == 0 || quantized.Length != MatVecQ8.ScratchInts(rows, w.Cols))
                    quantized = QuantizeActivations(x, rows, w.Cols);
                MatVecInt8(quantized, products.Slice(i, count), rows);
                MarkMatMul(products.Slice(i, count));
            }
            else if (count > 1)
            {
                MatVecFloat(x, products.Slice(i, count), rows);
                MarkMatMul(products.Slice(i, count));
            }
            else
            {
                MatMul(x, w, y, rows);
            }
            i += count;
        }
    }

    /// <summary>Set to <c>0</c> to launch each decode mat-vec of q/k/v and gate/up on its own (for measurements).</summary>
    public const string FusedMatVecVariable = "HIP_MATVEC_FUSED";

    private static readonly bool FusedMatVec = Environment.GetEnvironmentVariable(FusedMatVecVariable)?.Trim() != "0";

    // how many products from i on (1..3) one block mat-vec launch takes: the grouped decode kernels, one block type, one
    // input width, the same activations (int8 or float)
    private int Fusable(ReadOnlySpan<(DeviceMatrix W, ArrayView<float> Y)> products, int i, int rows)
    {
        var w = products[i].W;
        if (!FusedMatVec || rows >= TiledMatMulMinRows || Variant != KernelVariant.Grouped || !w.HasBlockView)
            return 1;
        int count = 1;
        while (count < 3 && i + count < products.Length)
        {
            var next = products[i + count].W;
            if (!next.HasBlockView || next.Type != w.Type || next.Cols != w.Cols || UsesInt8Activations(next) != UsesInt8Activations(w))
                break;
            count++;
        }
        return count;
    }

    /// <summary>The launches <see cref="MatMul(ArrayView{float}, int, ReadOnlySpan{ValueTuple{DeviceMatrix, ArrayView{float}}})"/> makes of these products: products per launch, in order.</summary>
    internal int[] MatVecLaunches(ReadOnlySpan<(DeviceMatrix W, ArrayView<float> Y)> products, int rows)
    {
        var launches = new List<int>();
        for (int i = 0; i < products.Length; i += launches[^1])
            launches.Add(Fusable(products, i, rows));
        return [.. launches];
    }

    // the planes and outputs of up to three products (unused entries repeat the first, with no rows)
    private static MatVecTargets Targets(ReadOnlySpan<(DeviceMatrix W, ArrayView<float> Y)> products)
    {
        var t = MatVecTargets.One(products[0].W.QuantPlane, products[0].W.ScalePlane, products[0].Y, products[0].W.Rows);
        if (products.Length > 1)
            (t.Q1, t.S1, t.Y1, t.M1) = (products[1].W.QuantPlane, products[1].W.ScalePlane, products[1].Y, products[1].W.Rows);
        if (products.Length > 2)
            (t.Q2, t.S2, t.Y2, t.M2) = (products[2].W.QuantPlane, products[2].W.ScalePlane, products[2].Y, products[2].W.Rows);
        return t;
    }

    // a warp per rowsPerWarp of the targets' rows (t.Total), for each x row
    private KernelConfig MatVecConfig(MatVecTargets t, int rows, int rowsPerWarp = 1) =>
        new(new Index2D(CeilDiv(CeilDiv(t.Total, rowsPerWarp), _warpsPerGroup), rows), new Index2D(_warpsPerGroup * _accelerator.WarpSize, 1));

    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, float>? _rmsNormQ8;

    /// <summary>
    /// normed = rmsnorm(x)·weight, then normed · W_iᵀ for each product (<see cref="MatMul(ArrayView{float}, int, ReadOnlySpan{ValueTuple{DeviceMatrix, ArrayView{float}}})"/>):
    /// a block's norm and the projections of its output. In a decode step with int8 mat-vecs the norm also writes the
    /// int8 activations (one launch instead of two). x, normed: [rows, dim].
    /// </summary>
    public void RmsNormMatMul(ArrayView<float> x, ArrayView<float> weight, float eps, ArrayView<float> normed, int rows, int dim,
        ReadOnlySpan<(DeviceMatrix W, ArrayView<float> Y)> products)
    {
        bool fused = rows < TiledMatMulMinRows && dim % 32 == 0;
        foreach (var (w, _) in products)
            fused &= w.Cols == dim && UsesInt8Activations(w);
        if (!fused || products.Length == 0)
        {
            RmsNorm(x, weight, normed, rows, dim, eps);
            MatMul(normed, rows, products);
            return;
        }
        var scratch = Int8Scratch(rows, dim);
        var (xq, dx, sx, s16) = MatVecQ8.Parts(scratch, rows, dim);
        _rmsNormQ8 ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, float>(RmsNormQ8.Kernel);
        _rmsNormQ8(_stream, new KernelConfig(rows, _rowGroup), x, weight, normed, xq.Cast<int>(), dx, sx, s16, dim, eps);
        Mark("RmsNorm+QuantizeQ8");
        for (int i = 0; i < products.Length;)
        {
            int count = Fusable(products, i, rows);
            MatVecInt8(scratch, products.Slice(i, count), rows);
            MarkMatMul(products.Slice(i, count));
            i += count;
        }
    }

    // x [rows, n] → int8 blocks in the scratch
    private ArrayView<int> QuantizeActivations(ArrayView<float> x, int rows, int n)
    {
        var scratch = Int8Scratch(rows, n);
        var (xq, dx, sx, s16) = MatVecQ8.Parts(scratch, rows, n);
        _quantizeQ8 ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<int>>(MatVecQ8.QuantizeKernel);
        _quantizeQ8(_stream, (Index1D)(rows * (n / 32)), x.SubView(0, (long)rows * n), xq.Cast<int>(), dx, sx, s16);
        Mark("QuantizeQ8");
        return scratch;
    }

    // the int8 activations' scratch for rows of n (grown on first use, so never inside a captured step)
    private ArrayView<int> Int8Scratch(int rows, int n) =>
        DeviceScratch.Grow(_accelerator, _stream, ref _int8Scratch, MatVecQ8.ScratchInts(rows, n), minimum: 1L << 16);

    // y_i = x · W_iᵀ for up to three products of one block type in one launch, x already quantized (the caller marks)
    private void MatVecInt8(ArrayView<int> quantized, ReadOnlySpan<(DeviceMatrix W, ArrayView<float> Y)> products, int rows)
    {
        var w = products[0].W;
        var (xq, dx, sx, s16) = MatVecQ8.Parts(quantized, rows, w.Cols);
        var t = Targets(products);
        int perWarp = Int8RowsPerWarp(t.Total);
        Blocks(w.Type).MatVecQ8!(_stream, MatVecConfig(t, rows, perWarp), xq, dx, sx, s16, t, w.Cols, perWarp);
    }

    /// <summary>Set to 1 or 2 to fix the rows a warp of the int8 mat-vec takes (for measurements); unset, by size.</summary>
    public const string Int8RowsPerWarpVariable = "HIP_MATVEC_ROWS";

    private static readonly int? FixedInt8RowsPerWarp =
        int.TryParse(Environment.GetEnvironmentVariable(Int8RowsPerWarpVariable), out int fixedRows) && fixedRows is >= 1 and <= MatVecQ8.MaxRowsPerWarp ? fixedRows : null;

    // Two rows a warp (x loaded once for both, twice the loads in flight) once the launch has warps to spare: at least
    // 64 per SM with two rows each (an 8B's 14336-row gate/up and 128256-row output, not its 4096-row q/o).
    private int Int8RowsPerWarp(int total) =>
        Int8RowsPerWarpOverride ?? FixedInt8RowsPerWarp ?? (total >= 2 * 64 * _accelerator.NumMultiprocessors ? 2 : 1);

    /// <summary>Tests: the rows a warp of the int8 mat-vec takes (1 or 2), instead of the choice by size.</summary>
    internal int? Int8RowsPerWarpOverride { get; set; }

    // the same with float activations (the block kernel; the caller marks)
    private void MatVecFloat(ArrayView<float> x, ReadOnlySpan<(DeviceMatrix W, ArrayView<float> Y)> products, int rows)
    {
        var w = products[0].W;
        var t = Targets(products);
        Blocks(w.Type).MatVec!(_stream, MatVecConfig(t, rows), x, t, w.Cols);
    }

    /// <summary>Floats of dequantized weight rows one prefill mat-mul step works on (16 MiB; tests lower it to cover several chunks).</summary>
    internal int DequantizeChunkFloats { get; set; } = 1 << 22;

    private void LoadWeightKernels(Accelerator a)
    {
        _matVecF32 = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(Kernels.MatVec.Kernel<float, F32Reader>);
        _matVecF16 = a.LoadKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<float>, int, int>(Kernels.MatVec.Kernel<ushort, F16Reader>);
        _matVecBF16 = a.LoadKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<float>, int, int>(Kernels.MatVec.Kernel<ushort, BF16Reader>);
        _matVecPerThreadF32 = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(Kernels.MatVec.PerThreadKernel<float, F32Reader>);
        _matVecPerThreadF16 = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, int, int>(Kernels.MatVec.PerThreadKernel<ushort, F16Reader>);
        _matVecPerThreadBF16 = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<ushort>, ArrayView<float>, int, int>(Kernels.MatVec.PerThreadKernel<ushort, BF16Reader>);
        _matMulF32 = a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, int>(Kernels.MatMulTiled.Kernel<float, F32Reader>);
        _matMulF16 = a.LoadKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<float>, int, int, int, int, int>(Kernels.MatMulTiled.Kernel<ushort, F16Reader>);
        _matMulBF16 = a.LoadKernel<ArrayView<float>, ArrayView<ushort>, ArrayView<float>, int, int, int, int, int>(Kernels.MatMulTiled.Kernel<ushort, BF16Reader>);
        _embedF32 = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int>(Kernels.Embedding.Kernel<float, F32Reader>);
        _embedF16 = a.LoadAutoGroupedKernel<Index1D, ArrayView<ushort>, ArrayView<int>, ArrayView<float>, int, int>(Kernels.Embedding.Kernel<ushort, F16Reader>);
        _embedBF16 = a.LoadAutoGroupedKernel<Index1D, ArrayView<ushort>, ArrayView<int>, ArrayView<float>, int, int>(Kernels.Embedding.Kernel<ushort, BF16Reader>);
    }

    /// <summary>Loads (compiles) the block kernels of <paramref name="type"/> now rather than on first use, e.g. before graph capture.</summary>
    public void PrepareWeights(WeightType type) => Blocks(type);

    private BlockKernels Blocks(WeightType type)
    {
        if (!_blockKernels.TryGetValue(type, out var kernels))
        {
            bool perThread = Variant == KernelVariant.PerThread;
            kernels = type switch
            {
                WeightType.F32 => BlockKernels.Load<F32.Decoder>(_accelerator, perThread),
                WeightType.F16 => BlockKernels.Load<F16.Decoder>(_accelerator, perThread),
                WeightType.BF16 => BlockKernels.Load<BF16.Decoder>(_accelerator, perThread),
                WeightType.Q4_0 => BlockKernels.Load<Q4_0.Decoder>(_accelerator, perThread),
                WeightType.Q4_1 => BlockKernels.Load<Q4_1.Decoder>(_accelerator, perThread),
                WeightType.Q5_0 => BlockKernels.Load<Q5_0.Decoder>(_accelerator, perThread),
                WeightType.Q5_1 => BlockKernels.Load<Q5_1.Decoder>(_accelerator, perThread),
                WeightType.Q8_0 => BlockKernels.Load<Q8_0.Decoder>(_accelerator, perThread).WithQ8<Q8_0.Q8Decoder>(_accelerator, perThread),
                WeightType.Q4_K => BlockKernels.Load<Q4_K.Decoder>(_accelerator, perThread).WithQ8<Q4_K.Q8Decoder>(_accelerator, perThread),
                WeightType.Q5_K => BlockKernels.Load<Q5_K.Decoder>(_accelerator, perThread).WithQ8<Q5_K.Q8Decoder>(_accelerator, perThread),
                WeightType.Q6_K => BlockKernels.Load<Q6_K.Decoder>(_accelerator, perThread).WithQ8<Q6_K.Q8Decoder>(_accelerator, perThread),
                _ => throw new NotSupportedException($"No kernels for weight type {type}."),
            };
            _blockKernels[type] = kernels;
        }
        return kernels;
    }

    /// <summary>x[t] = table[tokens[t]] for t &lt; count, dequantized to float32. x: [count, table.Cols].</summary>
    public void Embed(DeviceMatrix table, ArrayView<int> tokens, int count, ArrayView<float> x)
    {
        EmbedRows(table, tokens, count, x);
        Mark("Embed");
    }

    private void EmbedRows(DeviceMatrix table, ArrayView<int> tokens, int count, ArrayView<float> x)
    {
        int dim = table.Cols;
        Debug.Assert(tokens.Length >= count && x.Length >= (long)count * dim, "Embed: buffers too small");
        var xs = x.SubView(0, (long)count * dim);
        if (table.Info.IsQuantized)
        {
            var kernels = Blocks(table.Type);
            kernels.Embed(_stream, (Index1D)(count * kernels.ChunksPerRow(dim)), table.QuantPlane, table.ScalePlane, tokens, xs, dim, table.Rows);
            return;
        }
        var n = (Index1D)(count * dim);
        switch (table.Type)
        {
            case WeightType.F32: _embedF32(_stream, n, table.Floats, tokens, xs, dim, table.Rows); break;
            case WeightType.F16: _embedF16(_stream, n, table.Bits, tokens, xs, dim, table.Rows); break;
            default: _embedBF16(_stream, n, table.Bits, tokens, xs, dim, table.Rows); break;
        }
    }

    /// <summary>
    /// y = x · Wᵀ. x: [rows, w.Cols]   y: [rows, w.Rows]. Picks the kernel by row count: the mat-vec for a few rows
    /// (decode), the tensor-core GEMM for a prefill on CUDA (KernelSet.Prefill.cs), else the tiled SIMT kernel.
    /// </summary>
    public void MatMul(ArrayView<float> x, DeviceMatrix w, ArrayView<float> y, int rows)
    {
        if (rows < TiledMatMulMinRows)
            MatVec(x, w, y, rows);
        else if (!TryMatMulTensorCores(x, w, y, rows))
            MatMulTiled(x, w, y, rows);
        MarkMatMul(w);
    }

    // a profiling label per weight shape, formatted only while a profiled step runs
    private void MarkMatMul(DeviceMatrix w) => MarkMatMul([(w, default)]);

    // one label for products launched together ("MatMul q4_K 4096x4096+1024x4096")
    private void MarkMatMul(ReadOnlySpan<(DeviceMatrix W, ArrayView<float> Y)> products)
    {
        if (Profile is not { Active: true })
            return;
        var w = products[0].W;
        string shapes = string.Join("+", products.ToArray().Select(p => $"{p.W.Rows}x{p.W.Cols}"));
        Mark($"MatMul {w.Info.Name} {shapes}");
    }

    /// <summary>The warp-per-output kernel (decode), reading w in its own type. Shapes as <see cref="MatMul"/>.</summary>
    public void MatVec(ArrayView<float> x, DeviceMatrix w, ArrayView<float> y, int rows)
    {
        int n = w.Cols, m = w.Rows;
        Debug.Assert(x.Length >= (long)rows * n && y.Length >= (long)rows * m, "MatVec: shapes");
        if (w.HasBlockView)
        {
            var kernels = Blocks(w.Type);
            if (UsesInt8Activations(w))
            {
                MatVecInt8(QuantizeActivations(x, rows, n), [(w, y)], rows);
                return;
            }
            if (Variant == KernelVariant.PerThread)
                kernels.MatVecPerThread!(_stream, (Index1D)(rows * m), x, w.QuantPlane, w.ScalePlane, y, n, m);
            else
                MatVecFloat(x, [(w, y)], rows);
            return;
        }
        if (Variant == KernelVariant.PerThread)
        {
            var outputs = (Index1D)(rows * m);
            switch (w.Type)
            {
                case WeightType.F32: _matVecPerThreadF32(_stream, outputs, x, w.Floats, y, n, m); break;
                case WeightType.F16: _matVecPerThreadF16(_stream, outputs, x, w.Bits, y, n, m); break;
                default: _matVecPerThreadBF16(_stream, outputs, x, w.Bits, y, n, m); break;
            }
            return;
        }
        var config = new KernelConfig(new Index2D(CeilDiv(m, _warpsPerGroup), rows), new Index2D(_warpsPerGroup * _accelerator.WarpSize, 1));
        switch (w.Type)
        {
            case WeightType.F32: _matVecF32(_stream, config, x, w.Floats, y, n, m); break;
            case WeightType.F16: _matVecF16(_stream, config, x, w.Bits, y, n, m); break;
            default: _matVecBF16(_stream, config, x, w.Bits, y, n, m); break;
        }
    }

    /// <summary>
    /// The shared-memory tiled kernel (prefill). Shapes as <see cref="MatMul"/>. Quantized w: rows are dequantized to
    /// float32 in chunks of <see cref="DequantizeChunkFloats"/> values into a scratch buffer (allocated on first use,
    /// so not inside a captured decode step), each chunk multiplied into its slice of y's columns.
    /// </summary>
    public void MatMulTiled(ArrayView<float> x, DeviceMatrix w, ArrayView<float> y, int rows)
    {
        int n = w.Cols, m = w.Rows;
        Debug.Assert(x.Length >= (long)rows * n && y.Length >= (long)rows * m, "MatMulTiled: shapes");
        if (!w.Info.IsQuantized)
        {
            var config = TiledConfig(rows, m);
            switch (w.Type)
            {
                case WeightType.F32: _matMulF32(_stream, config, x, w.Floats, y, rows, n, m, m, 0); break;
                case WeightType.F16: _matMulF16(_stream, config, x, w.Bits, y, rows, n, m, m, 0); break;
                default: _matMulBF16(_stream, config, x, w.Bits, y, rows, n, m, m, 0); break;
            }
            return;
        }
        int chunkRows = Math.Clamp(DequantizeChunkFloats / n, 1, m);
        var scratch = DequantizeScratch((long)chunkRows * n);
        for (int first = 0; first < m; first += chunkRows)
        {
            int count = Math.Min(chunkRows, m - first);
            DequantizeRows(w, first, count, scratch);
            _matMulF32(_stream, TiledConfig(rows, count), x, scratch, y, rows, n, count, m, first);
        }
    }

    private static KernelConfig TiledConfig(int rows, int m) => new(
        new Index2D(CeilDiv(m, Kernels.MatMulTiled.Tile), CeilDiv(rows, Kernels.MatMulTiled.Tile)),
        new Index2D(Kernels.MatMulTiled.Threads, Kernels.MatMulTiled.Threads));

    private ArrayView<float> DequantizeScratch(long length) => DeviceScratch.Grow(_accelerator, _stream, ref _dequantizeScratch, length);

    /// <summary>output[r, :] = float32 values of w's row firstRow + r, r &lt; rowCount. output: [rowCount, w.Cols].</summary>
    public void DequantizeRows(DeviceMatrix w, int firstRow, int rowCount, ArrayView<float> output)
    {
        var kernels = CheckDequantize(w, firstRow, rowCount, output.Length);
        kernels.ToFloat(_stream, (Index1D)(rowCount * kernels.ChunksPerRow(w.Cols)), w.QuantPlane, w.ScalePlane, output, firstRow, w.Cols);
    }

    /// <summary>
    /// As the float32 overload, writing IEEE fp16 bit patterns (round to nearest even): the input of a half-precision GEMM.
    /// The kernels store eight halves at a time, so the view must start on a multiple of 8 elements of its buffer.
    /// </summary>
    public void DequantizeRows(DeviceMatrix w, int firstRow, int rowCount, ArrayView<ushort> halfOutput)
    {
        long start = ((IContiguousArrayView)halfOutput).Index;
        if (start % 8 != 0)
            throw new ArgumentException($"DequantizeRows: the fp16 output view starts at element {start} of its buffer; it must start on a multiple of 8 (16-byte stores).", nameof(halfOutput));
        var kernels = CheckDequantize(w, firstRow, rowCount, halfOutput.Length);
        kernels.ToHalf(_stream, (Index1D)(rowCount * kernels.ChunksPerRow(w.Cols)), w.QuantPlane, w.ScalePlane, halfOutput, firstRow, w.Cols);
    }

    private BlockKernels CheckDequantize(DeviceMatrix w, int firstRow, int rowCount, long outputLength)
    {
        if (!w.HasBlockView)
            throw new NotSupportedException($"DequantizeRows reads {w.Info.Name} rows as 16-byte vectors, but a row has {w.Cols} values (needs a multiple of {(w.Type == WeightType.F32 ? 4 : 8)}).");
        if (firstRow < 0 || rowCount <= 0 || firstRow + rowCount > w.Rows)
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"Rows {firstRow}..{firstRow + rowCount - 1} are outside the matrix's {w.Rows} rows.");
        if (outputLength < (long)rowCount * w.Cols)
            throw new ArgumentException($"DequantizeRows: the output holds {outputLength} values, {rowCount} rows of {w.Cols} need {(long)rowCount * w.Cols}.");
        return Blocks(w.Type);
    }

    /// <summary>The block kernels of one decoder type.</summary>
    private sealed class BlockKernels
    {
        public int Chunks, ValuesPerBlock;

        /// <summary>Chunks (threads of the dequantizing kernels) in a row of <paramref name="cols"/> values.</summary>
        public int ChunksPerRow(int cols) => cols / ValuesPerBlock * Chunks;
        public Action<AcceleratorStream, KernelConfig, ArrayView<float>, MatVecTargets, int>? MatVec;
        public Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<UInt4>, ArrayView<uint>, ArrayView<float>, int, int>? MatVecPerThread;
        public Action<AcceleratorStream, KernelConfig, ArrayView<UInt4>, ArrayView<float>, ArrayView<float>, ArrayView<int>, MatVecTargets, int, int>? MatVecQ8;

        /// <summary>Adds the int8-activation mat-vec (the grouped form only).</summary>
        public BlockKernels WithQ8<TDecoder>(Accelerator a, bool perThread) where TDecoder : struct, IQ8Decoder
        {
            if (!perThread)
                MatVecQ8 = a.LoadKernel<ArrayView<UInt4>, ArrayView<float>, ArrayView<float>, ArrayView<int>, MatVecTargets, int, int>(Hip.Kernels.MatVecQ8.Kernel<TDecoder>);
            return this;
        }
        public Action<AcceleratorStream, Index1D, ArrayView<UInt4>, ArrayView<uint>, ArrayView<int>, ArrayView<float>, int, int> Embed = null!;
        public Action<AcceleratorStream, Index1D, ArrayView<UInt4>, ArrayView<uint>, ArrayView<float>, int, int> ToFloat = null!;
        public Action<AcceleratorStream, Index1D, ArrayView<UInt4>, ArrayView<uint>, ArrayView<ushort>, int, int> ToHalf = null!;

        public static BlockKernels Load<TDecoder>(Accelerator a, bool perThread) where TDecoder : struct, IBlockDecoder
        {
            var kernels = new BlockKernels
            {
                Chunks = default(TDecoder).Chunks,
                ValuesPerBlock = default(TDecoder).ValuesPerBlock,
                Embed = a.LoadAutoGroupedKernel<Index1D, ArrayView<UInt4>, ArrayView<uint>, ArrayView<int>, ArrayView<float>, int, int>(DequantizeBlocks.EmbedKernel<TDecoder>),
                ToFloat = a.LoadAutoGroupedKernel<Index1D, ArrayView<UInt4>, ArrayView<uint>, ArrayView<float>, int, int>(DequantizeBlocks.ToFloatKernel<TDecoder>),
                ToHalf = a.LoadAutoGroupedKernel<Index1D, ArrayView<UInt4>, ArrayView<uint>, ArrayView<ushort>, int, int>(DequantizeBlocks.ToHalfKernel<TDecoder>),
            };
            if (perThread)
                kernels.MatVecPerThread = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<UInt4>, ArrayView<uint>, ArrayView<float>, int, int>(MatVecBlocks.PerThreadKernel<TDecoder>);
            else
                kernels.MatVec = a.LoadKernel<ArrayView<float>, MatVecTargets, int>(MatVecBlocks.Kernel<TDecoder>);
            return kernels;
        }
    }
}
