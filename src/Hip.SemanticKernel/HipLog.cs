using Microsoft.Extensions.Logging;

namespace Hip.SemanticKernel;

/// <summary>The library's log messages (source-generated).</summary>
internal static partial class HipLog
{
    [LoggerMessage(1, LogLevel.Information, "Loading model {ModelPath} ({FileBytes} bytes) on {Device}")]
    public static partial void ModelLoading(ILogger logger, string modelPath, long fileBytes, string device);

    [LoggerMessage(2, LogLevel.Information,
        "Loaded {ModelId} from {ModelPath}: {LayerCount} layers, {WeightBytes} weight bytes, {KvCacheBytes} KV-cache bytes, " +
        "context {ContextLength}, on {Device} in {LoadMilliseconds:F0} ms; chat template {ChatTemplate}")]
    public static partial void ModelLoaded(ILogger logger, string modelId, string modelPath, int layerCount, long weightBytes,
        long kvCacheBytes, int contextLength, string device, double loadMilliseconds, string chatTemplate);

    [LoggerMessage(3, LogLevel.Error, "Loading model {ModelPath} failed")]
    public static partial void ModelLoadFailed(ILogger logger, string modelPath, Exception exception);

    [LoggerMessage(4, LogLevel.Debug,
        "Response {ResponseId}: {InputTokens} prompt tokens, {OutputTokens} output tokens, finish {FinishReason}; " +
        "first token after {FirstTokenMilliseconds:F0} ms, {DecodeTokensPerSecond:F1} tokens/s")]
    public static partial void ResponseCompleted(ILogger logger, string responseId, int inputTokens, int outputTokens,
        string finishReason, double firstTokenMilliseconds, double decodeTokensPerSecond);

    [LoggerMessage(5, LogLevel.Debug, "Response {ResponseId} ended early after {OutputTokens} output tokens (cancelled or failed)")]
    public static partial void ResponseAbandoned(ILogger logger, string responseId, int outputTokens);
}
