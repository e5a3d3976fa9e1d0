using System.Diagnostics;
using System.Runtime.CompilerServices;
using Hip.Kernels;
using ILGPU.Runtime;

namespace Hip.Inference;

/// <summary>
/// A loaded model ready to generate: the device, the weights, one KV cache and the tokenizer. Requests are served one
/// at a time in arrival order (a queue); each streams its tokens as they are decoded.
/// </summary>
public sealed class InferenceEngine : IDisposable
{
    private readonly Gpu _gpu;
    private readonly bool _ownsGpu;
    private readonly ILanguageModel _model;
    private readonly PrefixCache _prefixes;
    private readonly Sampler _sampler;
    private readonly float[] _logits;
    private readonly SemaphoreSlim _turn = new(1, 1);
    // Dispose: cancels every request (linked into each) and takes _device, which every device step holds, before freeing.
    private readonly CancellationTokenSource _disposing = new();
    private readonly Lock _device = new();
    private readonly float[] _winnerLogit = new float[1];
    private volatile bool _disposed;
    private readonly int _prefillChunk;

    public string ModelPath { get; }
    /// <summary>The model's name: GGUF general.name, else the file name without extension.</summary>
    public string ModelId { get; }
    public ModelConfig Config => _model.Config;
    /// <summary>The architecture's name (general.architecture, "llama" for llama2.c checkpoints).</summary>
    public string Architecture => _model.Config.Architecture;
    public HipTokenizer Tokenizer { get; }
    /// <summary>The model file's key-values (GGUF metadata such as tokenizer.chat_template; empty for llama2.c).</summary>
    public IReadOnlyDictionary<string, object> Metadata { get; }
    public EngineOptions Options { get; }
    /// <summary>Positions of the KV cache: prompt plus output must fit.</summary>
    public int ContextLength { get; }
    public string DeviceDescription => _gpu.Description;
    /// <summary>How decode steps run: "CUDA graph", or "eager" with the reason (the CPU accelerator, HIP_CUDA_GRAPH=0, a failed capture).</summary>
    public string DecodeGraphStatus => _model.DecodeGraphStatus;
    public long WeightBytes => _model.WeightBytes;
    public long KvCacheBytes => _prefixes.SizeInBytes;
    public TimeSpan LoadTime { get; }

    private InferenceEngine(string path, ModelSource source, HipTokenizer tokenizer, EngineOptions options, Gpu gpu, bool ownsGpu)
    {
        var watch = Stopwatch.StartNew();
        ModelPath = path;
        Options = options;
        Tokenizer = tokenizer;
        Metadata = source.File.Metadata;
        _gpu = gpu;
        _ownsGpu = ownsGpu;
        ModelId = source.File.Metadata.TryGetValue(GgufKeys.Name, out var name) && name is string s && s.Length > 0
            ? s : Path.GetFileNameWithoutExtension(path);
        var config = source.Config;
        int context = options.ContextLength ?? config.ContextLength;
        _prefillChunk = options.PrefillChunk ?? (gpu.IsCuda ? 4096 : 32);
        int maxBatch = Math.Min(_prefillChunk, context);
        CheckMemory(path, source, gpu, context, maxBatch, options);
        var kernels = gpu.Kernels;
        var attention = AttentionPolicies.Create(kernels, config, options.Attention, options.Hip);
        var model = ModelLoader.Create(source, kernels, context, maxBatch, attention);
        model.KvPrecision = options.KvPrecision;
        _model = model;
        try
        {
            ContextLength = context;
            _prefixes = new PrefixCache(_model, context, options.PrefixCacheSlots);
            _sampler = new Sampler(config.VocabSize);
            _logits = new float[config.VocabSize];
        }
        catch
        {
            _model.Dispose();
            throw;
        }
        LoadTime = watch.Elapsed;
    }

    // Weights, KV-cache slots and activations against the memory the device (or, on the CPU accelerator, the machine)
    // has free, before anything is allocated: an error names both and what to lower.
    private static void CheckMemory(string path, ModelSource source, Gpu gpu, int context, int maxBatch, EngineOptions options)
    {
        var c = source.Config;
        long weights = source.WeightBytes;
        long kv = checked(KvCache.RequiredBytes(c.LayerCount, c.KvHeadCount, c.HeadDim, context, options.KvPrecision, long.MaxValue)
            * options.PrefixCacheSlots);
        long scratch = TransformerModel.ScratchBytes(c, context, maxBatch);
        long needed = checked(weights + kv + scratch);
        long available = gpu.AvailableMemoryBytes;
        if (needed > available)
            throw new InvalidOperationException(
                $"'{path}' needs {Gib(needed)} on {gpu.Description} (weights {Gib(weights)}, KV cache {Gib(kv)} for " +
                $"{options.PrefixCacheSlots} slot(s) × {context} positions, activations {Gib(scratch)}), but {Gib(available)} is available: " +
                $"lower EngineOptions.ContextLength, PrefixCacheSlots or PrefillChunk (now {maxBatch} tokens a forward pass), or use a smaller or more quantized model file.");
    }

    private static string Gib(long bytes) => $"{bytes / (1024.0 * 1024 * 1024):F2} GiB";

    /// <summary>Loads a GGUF or llama2.c model onto the device chosen by <see cref="EngineOptions.Device"/>.</summary>
    /// <param name="gpu">An accelerator to share (not disposed by the engine); null creates one from the options.</param>
    public static InferenceEngine Load(string modelPath, EngineOptions? options = null, Gpu? gpu = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        options ??= new EngineOptions();
        options.Validate();
        using var source = ModelLoader.Open(modelPath);
        var tokenizer = TokenizerLoader.ForModel(modelPath, source.File.Metadata, source.File.Format, source.Config.VocabSize, options.TokenizerPath);
        bool ownsGpu = gpu is null;
        gpu ??= Gpu.Create(options.Device);
        try
        {
            return new InferenceEngine(modelPath, source, tokenizer, options, gpu, ownsGpu);
        }
        catch
        {
            if (ownsGpu)
                gpu.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Generates after <paramref name="promptTokens"/>, yielding each new token id as soon as it is decoded. Ends at the
    /// end-of-sequence token (not yielded), after <see cref="SamplingParams.MaxTokens"/>, when a token constraint
    /// completes, or when the context is full.
    /// </summary>
    public IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> promptTokens, SamplingParams sampling, CancellationToken cancellationToken = default) =>
        GenerateAsync(promptTokens, sampling, null, cancellationToken);

    /// <summary>As the other overload; <paramref name="status"/> is filled in as the request runs (finish reason, cached prompt tokens, timings).</summary>
    public IAsyncEnumerable<int> GenerateAsync(IReadOnlyList<int> promptTokens, SamplingParams sampling, GenerationStatus? status,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(promptTokens);
        ArgumentNullException.ThrowIfNull(sampling);
        ObjectDisposedException.ThrowIf(_disposed, this);
        sampling.Validate();
        if (promptTokens.Count == 0)
            throw new ArgumentException("The prompt has no tokens; give at least the begin-of-sequence token.", nameof(promptTokens));
        if (promptTokens.Count >= ContextLength)
            throw new ArgumentException(
                $"The prompt has {promptTokens.Count} tokens but the context holds {ContextLength} (prompt and output together): " +
                "shorten the prompt or raise EngineOptions.ContextLength.", nameof(promptTokens));
        foreach (int id in promptTokens)
            if ((uint)id >= (uint)Config.VocabSize)
                throw new ArgumentException($"Prompt token id {id} is outside the vocabulary [0, {Config.VocabSize}).", nameof(promptTokens));
        return GenerateCoreAsync(promptTokens.ToArray(), sampling, status ?? new GenerationStatus(), cancellationToken);
    }

    private async IAsyncEnumerable<int> GenerateCoreAsync(int[] prompt, SamplingParams sampling, GenerationStatus status,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        status.PromptTokens = prompt.Length;
        using var request = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        cancellationToken = request.Token;   // the caller's token, or Dispose
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        status.QueueTime = watch.Elapsed;
        status.Finish = GenerationFinish.Cancelled;   // until a normal end says otherwise
        try
        {
            var slot = await Task.Run(() => Prefill(prompt, status, cancellationToken), cancellationToken).ConfigureAwait(false);
            status.PrefillTime = watch.Elapsed - status.QueueTime;
            var cache = slot.Cache;
            var random = sampling.Seed is int seed ? new Random(seed) : new Random();
            bool onDevice = sampling.IsDeviceGreedy;
            _sampler.Reset();
            for (int produced = 0; produced < sampling.MaxTokens; produced++)
            {
                int next;
                lock (_device)
                {
                    ThrowIfDisposedOrCancelled(cancellationToken);
                    if (onDevice)
                    {
                        next = _model.ArgMaxToInput();   // NaN ranks as +∞: the winner's own logit tells a finite row
                        _model.Logits.SubView(next, 1).CopyToCPU(_winnerLogit);
                        if (!float.IsFinite(_winnerLogit[0]))
                            throw new NonFiniteLogitsException(cache.Length, next, _winnerLogit[0]);
                    }
                    else
                    {
                        _model.ReadLogits(_logits);
                        next = _sampler.Sample(_logits, sampling, random, position: cache.Length);
                    }
                }
                if (sampling.StopAtEndOfSequence && Tokenizer.IsEndOfGeneration(next) && sampling.Constraint is null)
                {
                    status.Finish = GenerationFinish.Stop;
                    yield break;
                }
                _sampler.Accept(next);
                sampling.Constraint?.Accept(next);
                status.GeneratedTokens = produced + 1;
                yield return next;
                cancellationToken.ThrowIfCancellationRequested();
                if (sampling.Constraint?.IsComplete == true)
                {
                    status.Finish = GenerationFinish.Stop;
                    yield break;
                }
                if (produced + 1 == sampling.MaxTokens)
                {
                    status.Finish = GenerationFinish.MaxTokens;
                    yield break;
                }
                if (cache.Length >= cache.Capacity)
                {
                    status.Finish = GenerationFinish.ContextFull;
                    yield break;
                }
                lock (_device)
                {
                    ThrowIfDisposedOrCancelled(cancellationToken);
                    if (!onDevice)
                        _model.SetTokens([next]);
                    _model.Forward(1, cache);
                }
                slot.Tokens.Add(next);
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    // Reuses the longest cached prefix of the prompt, then prefills the rest in chunks.
    private PrefixCache.Slot Prefill(int[] prompt, GenerationStatus status, CancellationToken cancellationToken)
    {
        PrefixCache.Slot slot;
        int reused;
        lock (_device)
        {
            ThrowIfDisposedOrCancelled(cancellationToken);
            slot = _prefixes.Acquire(prompt, out reused);
        }
        status.CachedPromptTokens = reused;
        status.PrefillProgress?.Report(reused);
        for (int start = reused; start < prompt.Length; start += _model.MaxBatch)
        {
            int count = Math.Min(_model.MaxBatch, prompt.Length - start);
            lock (_device)
            {
                ThrowIfDisposedOrCancelled(cancellationToken);
                _model.SetTokens(prompt.AsSpan(start, count));
                _model.Forward(count, slot.Cache);
            }
            slot.Tokens.AddRange(prompt.AsSpan(start, count));
            status.PrefillProgress?.Report(start + count);
        }
        return slot;
    }

    /// <summary>Inside a device step: a disposed engine (its memory may be freed) or a cancelled request stops here.</summary>
    private void ThrowIfDisposedOrCancelled(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Cancels the requests in flight and queued (they end with <see cref="OperationCanceledException"/> or
    /// <see cref="ObjectDisposedException"/>), waits for the device step running now to finish, then frees the device
    /// memory. Safe to call while requests stream, from any thread, more than once.
    /// </summary>
    public void Dispose()
    {
        lock (_device)
        {
            if (_disposed)
                return;
            _disposed = true;   // every later device step sees it under this lock and throws
        }
        _disposing.Cancel();
        lock (_device)          // no step runs now, and none will start
        {
            _prefixes.Dispose();
            _model.Dispose();
            if (_ownsGpu)
                _gpu.Dispose();
        }
        // _turn and _disposing stay undisposed: a request still leaving releases _turn, and neither holds a native handle
    }
}
