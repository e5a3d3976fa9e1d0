using Hip.Inference.Tests.Loading;
using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests;

/// <summary>Dispose under a streaming request, and a model whose logits are not finite.</summary>
public sealed class InferenceEngineContractTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hip-engine-contract-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(int.MaxValue)]      // overflowed the RoPE tables' size before (OverflowException)
    [InlineData(1 << 24)]           // 16M positions: a KV cache far beyond this machine's memory
    public void Load_ContextBeyondMemory_ThrowsNamingNeededAndAvailableBytes(int context)
    {
        var options = new EngineOptions { ContextLength = context, PrefixCacheSlots = 64, KvPrecision = Hip.Kernels.KvPrecision.F32 };

        var e = Assert.Throws<InvalidOperationException>(() => InferenceEngine.Load(Stories260KReference.GgufPath, options, TestGpu.Gpu));

        Assert.Contains("GiB is available", e.Message);
        Assert.Contains("needs", e.Message);
        Assert.Contains("lower EngineOptions.ContextLength", e.Message);
    }

    [Fact]
    public async Task Dispose_WhileARequestStreams_EndsItWithCancellationAndFreesTheDevice()
    {
        var engine = InferenceEngine.Load(Stories260KReference.GgufPath, gpu: TestGpu.Gpu);
        int received = 0;
        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (int _ in engine.GenerateAsync([engine.Tokenizer.BosId], SamplingParams.Greedy with { MaxTokens = 400, StopAtEndOfSequence = false }))
                if (++received == 3)
                    await Task.Run(engine.Dispose);   // from another thread, with the request mid-stream
        });

        Assert.True(error is OperationCanceledException or ObjectDisposedException, $"expected cancellation, got {error}");
        Assert.Equal(3, received);
        TestGpu.ThrowIfFaulted();
        Assert.Throws<ObjectDisposedException>(() => engine.GenerateAsync([1], SamplingParams.Greedy));
        engine.Dispose();   // twice is fine
    }

    [Fact]
    public async Task Dispose_WhileARequestWaitsInTheQueue_CancelsIt()
    {
        var engine = InferenceEngine.Load(Stories260KReference.GgufPath, gpu: TestGpu.Gpu);
        var first = engine.GenerateAsync([engine.Tokenizer.BosId], SamplingParams.Greedy with { MaxTokens = 400, StopAtEndOfSequence = false })
            .GetAsyncEnumerator();
        Assert.True(await first.MoveNextAsync());   // holds the engine's turn
        var queued = Task.Run(async () =>
        {
            await foreach (int _ in engine.GenerateAsync([engine.Tokenizer.BosId], SamplingParams.Greedy with { MaxTokens = 4 })) { }
        });
        await Task.Delay(50);

        engine.Dispose();

        var error = await Record.ExceptionAsync(() => queued);
        Assert.True(error is OperationCanceledException or ObjectDisposedException, $"expected cancellation, got {error}");
        var firstError = await Record.ExceptionAsync(async () => await first.MoveNextAsync());
        Assert.True(firstError is OperationCanceledException or ObjectDisposedException, $"expected cancellation, got {firstError}");
        await first.DisposeAsync();
        TestGpu.ThrowIfFaulted();
    }

    [Theory]
    [InlineData(0f)]     // greedy: the device's argmax
    [InlineData(0.8f)]   // sampled on the host
    public async Task GenerateAsync_NaNWeights_ThrowsNamingThePosition(float temperature)
    {
        string path = WriteStoriesWith("output_norm.weight", float.NaN);
        using var engine = InferenceEngine.Load(path, gpu: TestGpu.Gpu);
        var prompt = engine.Tokenizer.Encode("Once upon a time", addBos: true);

        var e = await Assert.ThrowsAsync<NonFiniteLogitsException>(async () =>
        {
            await foreach (int id in engine.GenerateAsync(prompt, new SamplingParams { Temperature = temperature, Seed = 1, MaxTokens = 8 }))
                Assert.InRange(id, 0, engine.Config.VocabSize - 1);
        });

        Assert.Equal(prompt.Count, e.Position);
        Assert.Contains($"position {prompt.Count}", e.Message);
        Assert.True(float.IsNaN(e.Value));
        Assert.InRange(e.TokenId, 0, engine.Config.VocabSize - 1);
    }

    /// <summary>stories260K with every value of one F32 tensor replaced.</summary>
    private string WriteStoriesWith(string tensorName, float value)
    {
        var (metadata, tensors) = GgufTestFile.ReadRaw(Stories260KReference.GgufPath);
        var changed = tensors.Select(t =>
        {
            if (t.Name != tensorName)
                return t;
            Assert.Equal(GgmlType.F32, t.Type);
            var data = new byte[t.Data.Length];
            for (int i = 0; i < data.Length; i += 4)
                BitConverter.TryWriteBytes(data.AsSpan(i), value);
            return t with { Data = data };
        }).ToList();
        string path = Path.Combine(_folder, "nan.gguf");
        File.WriteAllBytes(path, GgufTestFile.Write(metadata, changed));
        return path;
    }
}
