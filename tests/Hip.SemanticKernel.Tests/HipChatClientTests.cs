using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hip.Inference;
using Hip.TestSupport;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Hip.SemanticKernel.Tests;

public sealed class HipChatClientTests
{
    private static ChatOptions Greedy(int maxTokens) => new() { Temperature = 0, MaxOutputTokens = maxTokens };

    [Fact]
    public void GetService_Metadata_NamesProviderFileAndModel()
    {
        using var client = new HipChatClient(SharedModel.Engine);

        var metadata = client.GetService<ChatClientMetadata>()!;

        Assert.Equal("hip", metadata.ProviderName);
        Assert.Equal("stories260K", metadata.DefaultModelId);
        Assert.True(metadata.ProviderUri!.IsFile);
        Assert.Equal(Path.GetFullPath(SharedModel.ModelPath), metadata.ProviderUri.LocalPath);
    }

    [Fact]
    public void GetService_UsefulTypes_ReturnsClientEngineTokenizerAndTemplate()
    {
        using var client = new HipChatClient(SharedModel.Engine);

        Assert.Same(client, client.GetService<HipChatClient>());
        Assert.Same(client, client.GetService<IChatClient>());
        Assert.Same(SharedModel.Engine, client.GetService<InferenceEngine>());
        Assert.Same(SharedModel.Engine.Tokenizer, client.GetService<HipTokenizer>());
        Assert.Same(SharedModel.Engine.Tokenizer.Inner, client.GetService<Microsoft.ML.Tokenizers.Tokenizer>());
        Assert.Same(ChatTemplate.Plain, client.GetService<ChatTemplate>());
        Assert.Same(client.Model, client.GetService<HipModel>());
        Assert.Null(client.GetService<string>());
    }

    [Fact]
    public void GetService_WithKey_ReturnsNull()
    {
        using var client = new HipChatClient(SharedModel.Engine);

        Assert.Null(client.GetService(typeof(ChatClientMetadata), "key"));
        Assert.Null(client.GetService(typeof(InferenceEngine), "key"));
        Assert.Throws<ArgumentNullException>(() => client.GetService(null!));
    }

    [Fact]
    public void Constructor_Null_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new HipChatClient((InferenceEngine)null!));
        Assert.Throws<ArgumentNullException>(() => new HipChatClient((HipModel)null!));
    }

    [Fact]
    public void Dispose_ClientOverAnEngine_LeavesTheEngineUsable()
    {
        new HipChatClient(SharedModel.Engine).Dispose();

        Assert.True(SharedModel.Engine.ContextLength > 0);
        using var client = new HipChatClient(SharedModel.Engine);
        Assert.NotNull(client.GetService<InferenceEngine>());
    }

    [Fact]
    public async Task GetResponse_ModelStillLoading_WaitsAndAnswers()
    {
        using var loggers = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(loggers).SetMinimumLevel(LogLevel.Debug));
        using var model = new HipModel(new HipChatClientOptions { ModelPath = SharedModel.ModelPath }, TestGpu.Gpu, factory.CreateLogger<HipModel>());
        using var client = new HipChatClient(model, factory.CreateLogger<HipChatClient>());
        Assert.False(model.IsLoaded);
        Assert.Null(client.GetService<InferenceEngine>());

        var response = await client.GetResponseAsync("Once upon a time", Greedy(4));

        Assert.True(model.IsLoaded);
        Assert.Equal((await SharedModel.ReferenceAsync(SharedModel.Engine, "Once upon a time", SamplingParams.Greedy with { MaxTokens = 4 })).Text, response.Text);
        Assert.Contains(loggers.Lines, l => l.StartsWith("Information") && l.Contains("Loading model") && l.Contains("bytes"));
        Assert.Contains(loggers.Lines, l => l.Contains("Loaded stories260K") && l.Contains("weight bytes") && l.Contains(" ms"));
        Assert.Contains(loggers.Lines, l => l.StartsWith("Debug") && l.Contains("4 output tokens"));
    }

    [Fact]
    public async Task GetResponse_ModelFailedToLoad_ThrowsNamingTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"hip-broken-{Guid.NewGuid():N}.gguf");
        await File.WriteAllBytesAsync(path, [(byte)'G', (byte)'G', (byte)'U', (byte)'F', 3, 0, 0, 0, 1, 2, 3]);
        try
        {
            using var model = new HipModel(new HipChatClientOptions { ModelPath = path }, TestGpu.Gpu);
            using var client = new HipChatClient(model);

            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetResponseAsync("Hi", Greedy(2)));

            Assert.Contains(path, e.Message);
            Assert.Contains("failed to load", e.Message);
            Assert.NotNull(e.InnerException);
            await Assert.ThrowsAsync<InvalidOperationException>(() => model.LoadAsync());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void HipModel_MissingFile_ThrowsNamingTheOption()
    {
        var e = Assert.Throws<FileNotFoundException>(() => new HipModel(new HipChatClientOptions { ModelPath = "no-such-model.gguf" }));

        Assert.Contains("ModelPath", e.Message);
        Assert.Contains("no-such-model.gguf", e.Message);
    }

    [Fact]
    public async Task GetResponse_ChatTemplateOption_ChangesThePrompt()
    {
        using var client = new HipChatClient(SharedModel.Engine, new HipChatClientOptions { ChatTemplate = "chatml" });

        var response = await client.GetResponseAsync("Once upon a time", Greedy(2));

        // BOS + "<|im_start|>user\nOnce upon a time<|im_end|>\n<|im_start|>assistant\n" as plain text in this vocabulary
        int expected = SharedModel.Engine.Tokenizer.Encode("<|im_start|>user\nOnce upon a time<|im_end|>\n<|im_start|>assistant\n", addBos: true).Count;
        Assert.Equal(expected, response.Usage!.InputTokenCount);
        Assert.Same(ChatTemplate.ChatML, client.GetService<ChatTemplate>());
    }

    [Fact]
    public async Task GetResponse_CustomFormatStopSequence_EndsTheTurn()
    {
        var format = new ChatTemplateFormat { Message = "{content}", StopSequences = ["."] };
        using var client = new HipChatClient(SharedModel.Engine, new HipChatClientOptions { ChatTemplateFormat = format, ModelId = "tiny-stories" });

        var response = await client.GetResponseAsync("Once upon a time", Greedy(30));

        Assert.Equal(", there was a little girl named Lily", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("tiny-stories", response.ModelId);
    }

    [Fact]
    public void Constructor_UnknownTemplateName_ThrowsNamingTheOption()
    {
        var e = Assert.Throws<ArgumentException>(() => new HipChatClient(SharedModel.Engine, new HipChatClientOptions { ChatTemplate = "vicuna" }));

        Assert.Contains("vicuna", e.Message);
    }

    [Fact]
    public async Task GetResponse_AlreadyCancelled_Throws()
    {
        using var client = new HipChatClient(SharedModel.Engine);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => client.GetResponseAsync("Once upon a time", Greedy(5), new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task GetResponse_TextDataContent_IsReadAsText()
    {
        using var client = new HipChatClient(SharedModel.Engine);
        var message = new ChatMessage(ChatRole.User, [new DataContent("data:text/plain;base64," + Convert.ToBase64String("Once upon a time"u8.ToArray()))]);

        var fromData = await client.GetResponseAsync([message], Greedy(4));
        var fromText = await client.GetResponseAsync("Once upon a time", Greedy(4));

        Assert.Equal(fromText.Text, fromData.Text);
    }

    [Fact]
    public async Task GetResponse_WithListeners_ReportsSpanAndMetrics()
    {
        var activities = new List<Activity>();
        using var activityListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == HipChatClient.TelemetrySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Add,
        };
        ActivitySource.AddActivityListener(activityListener);
        var measurements = new List<(string Name, double Value, string? Type)>();
        using var meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == HipChatClient.TelemetrySourceName)
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        meterListener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Add((i.Name, v, null)));
        meterListener.SetMeasurementEventCallback<long>((i, v, tags, _) =>
            measurements.Add((i.Name, v, tags.ToArray().FirstOrDefault(t => t.Key == "hip.token.type").Value as string)));
        meterListener.Start();
        using var client = new HipChatClient(SharedModel.Engine);

        var response = await client.GetResponseAsync("Once upon a time", Greedy(3));

        var span = Assert.Single(activities, a => a.OperationName == "hip.generate");
        Assert.Equal(response.Usage!.InputTokenCount, Convert.ToInt64(span.GetTagItem("gen_ai.usage.input_tokens")));
        Assert.Equal(3L, Convert.ToInt64(span.GetTagItem("gen_ai.usage.output_tokens")));
        Assert.Equal("length", span.GetTagItem("gen_ai.response.finish_reasons"));
        Assert.Contains(measurements, m => m.Name == "hip.prefill.duration" && m.Value > 0);
        Assert.Contains(measurements, m => m.Name == "hip.decode.duration" && m.Value >= 0);
        Assert.Contains(measurements, m => m.Name == "hip.tokens" && m.Type == "output" && m.Value == 3);
        Assert.Contains(measurements, m => m.Name == "hip.tokens" && m.Type == "input" && m.Value == response.Usage.InputTokenCount);
    }
}
