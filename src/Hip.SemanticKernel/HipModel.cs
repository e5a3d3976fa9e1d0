using Hip.Inference;
using Hip.Kernels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hip.SemanticKernel;

/// <summary>
/// One model file loaded once and shared by the clients that serve it. Loading runs on a worker thread, started by
/// <see cref="StartLoading"/> (the hosted service calls it at start-up) or by the first request; requests wait for
/// it, and fail with an <see cref="InvalidOperationException"/> naming the file when it failed.
/// </summary>
public sealed class HipModel : IDisposable
{
    private readonly HipChatClientOptions _options;
    private readonly Gpu? _gpu;
    private readonly ILogger _logger;
    private readonly bool _ownsEngine;
    private readonly Lock _gate = new();
    private Task<LoadedModel>? _loading;
    private bool _disposed;

    /// <summary>A model to load from <paramref name="options"/> (validated here).</summary>
    /// <param name="gpu">An accelerator to share (not disposed here); null creates one from <see cref="HipChatClientOptions.Device"/>.</param>
    public HipModel(HipChatClientOptions options, Gpu? gpu = null, ILogger<HipModel>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options.Clone();
        _gpu = gpu;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _ownsEngine = true;
    }

    /// <summary>An engine that is already loaded (and stays owned by the caller); <paramref name="options"/> may name a template or model id.</summary>
    public HipModel(InferenceEngine engine, HipChatClientOptions? options = null, ILogger<HipModel>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _options = options?.Clone() ?? new HipChatClientOptions();
        _options.ModelPath = engine.ModelPath;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _ownsEngine = false;
        _loading = Task.FromResult(LoadedModel.Create(engine, _options));
    }

    /// <summary>The model file.</summary>
    public string ModelPath => _options.ModelPath;

    /// <summary>
    /// The model's name in metadata and responses, the same before, during and after loading:
    /// <see cref="HipChatClientOptions.ModelId"/> when set, else the model file's name without its extension
    /// (<c>models/llama-3.2-1b.Q4_K_M.gguf</c> → <c>llama-3.2-1b.Q4_K_M</c>). The GGUF general.name is not used, since
    /// it is only known after loading; requests may still name the model by it (<c>ChatOptions.ModelId</c>).
    /// </summary>
    public string ModelId => IdOf(_options);

    /// <summary>The engine, or null while it is loading (or if loading failed).</summary>
    public InferenceEngine? Engine => Loaded?.Engine;

    /// <summary>The chat template in use, or null until the model is loaded.</summary>
    public ChatTemplate? ChatTemplate => Loaded?.Template;

    /// <summary>True once the engine is ready, and false again after <see cref="Dispose"/>.</summary>
    public bool IsLoaded => Loaded is not null;

    /// <summary>The loaded model, or null while loading, after a failed load, or once disposed.</summary>
    internal LoadedModel? Loaded => !_disposed && _loading is { IsCompletedSuccessfully: true } loading ? loading.Result : null;

    /// <summary>The rule of <see cref="ModelId"/>: the configured id, else the file name without extension.</summary>
    internal static string IdOf(HipChatClientOptions options) => options.ModelId ?? Path.GetFileNameWithoutExtension(options.ModelPath);

    /// <summary>Starts loading on a worker thread if it has not started; returns at once.</summary>
    public void StartLoading() => _ = GetLoading();

    /// <summary>Waits for the engine, starting the load if needed.</summary>
    /// <exception cref="InvalidOperationException">Loading failed; the inner exception says why.</exception>
    public async Task<InferenceEngine> LoadAsync(CancellationToken cancellationToken = default) =>
        (await GetLoadedAsync(cancellationToken).ConfigureAwait(false)).Engine;

    internal async Task<LoadedModel> GetLoadedAsync(CancellationToken cancellationToken)
    {
        var loading = GetLoading();
        try
        {
            var loaded = await loading.WaitAsync(cancellationToken).ConfigureAwait(false);
            ObjectDisposedException.ThrowIf(_disposed, this);   // disposed while the caller waited
            return loaded;
        }
        catch (Exception e) when (loading.IsFaulted && e is not OperationCanceledException)
        {
            throw new InvalidOperationException($"The model '{ModelPath}' failed to load: {e.Message}", e);
        }
    }

    private Task<LoadedModel> GetLoading()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _loading ??= Task.Run(Load);
        }
    }

    private LoadedModel Load()
    {
        long fileBytes = new FileInfo(_options.ModelPath).Length;
        HipLog.ModelLoading(_logger, _options.ModelPath, fileBytes, _gpu?.Description ?? _options.Device.ToString());
        InferenceEngine? engine = null;
        try
        {
            engine = InferenceEngine.Load(_options.ModelPath, _options.ToEngineOptions(), _gpu);
            var loaded = LoadedModel.Create(engine, _options);
            HipLog.ModelLoaded(_logger, loaded.ModelId, _options.ModelPath, engine.Config.LayerCount, engine.WeightBytes,
                engine.KvCacheBytes, engine.ContextLength, engine.DeviceDescription, engine.LoadTime.TotalMilliseconds, loaded.Template.Name);
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
            }
            return loaded;
        }
        catch (Exception e)
        {
            engine?.Dispose();
            HipLog.ModelLoadFailed(_logger, _options.ModelPath, e);
            throw;
        }
    }

    /// <summary>
    /// Frees the engine (if this model loaded it; requests streaming from it end with an
    /// <see cref="OperationCanceledException"/> or <see cref="ObjectDisposedException"/>); a load still running frees it
    /// when it ends. Afterwards <see cref="IsLoaded"/> is false and every request throws <see cref="ObjectDisposedException"/>
    /// naming <see cref="HipModel"/>.
    /// </summary>
    public void Dispose()
    {
        Task<LoadedModel>? loading;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            loading = _loading;
        }
        if (!_ownsEngine || loading is null)
            return;
        if (loading.IsCompleted)
        {
            if (loading.IsCompletedSuccessfully)
                loading.Result.Engine.Dispose();
        }
        else
        {
            loading.ContinueWith(t => t.Result.Engine.Dispose(), CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
