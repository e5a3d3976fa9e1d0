using Hip.Inference;
using Hip.Kernels;
using Hip.TestSupport;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Hip.SemanticKernel.Tests;

/// <summary>Model id, dispose and start-up contracts of the client and the model (issue 11, items 1 to 4 and 7).</summary>
public sealed class HipChatClientContractTests : IDisposable
{
    private static readonly ChatOptions s_greedy = new() { Temperature = 0, MaxOutputTokens = 3 };
    private readonly string _folder = Directory.CreateTempSubdirectory("hip-client-contract-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static HipChatClientOptions TinyRandom() => new() { ModelPath = RepoPaths.TinyRandomGguf, ContextLength = 64, ChatTemplate = "plain" };

    [Fact]
    public async Task DefaultModelId_IsTheFileNameBeforeAndAfterLoading_NotGeneralName()
    {
        // this file's general.name is "LLaMA v2": only the file name is known before loading, so it is the id throughout
        using var model = new HipModel(TinyRandom(), TestGpu.Gpu);
        using var client = new HipChatClient(model);
        string before = client.GetService<ChatClientMetadata>()!.DefaultModelId!;

        await model.LoadAsync();
        var response = await client.GetResponseAsync("Hello", s_greedy);

        Assert.Equal("llama-2-tiny-random", before);
        Assert.Equal(before, client.GetService<ChatClientMetadata>()!.DefaultModelId);
        Assert.Equal(before, model.ModelId);
        Assert.Equal(before, response.ModelId);
        Assert.NotNull(await client.GetResponseAsync("Hello", new ChatOptions { ModelId = "LLaMA v2", Temperature = 0, MaxOutputTokens = 1 }));
    }

    [Fact]
    public async Task Dispose_ClientThatOwnsItsModel_StopsAnsweringNamingTheClient()
    {
        var client = new HipChatClient(SharedModel.Engine);
        Assert.NotNull(await client.GetResponseAsync("Once", s_greedy));

        client.Dispose();

        var e = await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetResponseAsync("Once", s_greedy));
        Assert.Contains(nameof(HipChatClient), e.ObjectName);
        Assert.False(client.Model.IsLoaded);
        Assert.NotNull(await new HipChatClient(SharedModel.Engine).GetResponseAsync("Once", s_greedy));   // the engine was the caller's
    }

    [Fact]
    public async Task Dispose_ClientOverASharedModel_StopsOnlyThatClient()
    {
        using var model = new HipModel(SharedModel.Engine);
        var first = new HipChatClient(model);
        using var second = new HipChatClient(model);

        first.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => first.GetResponseAsync("Once", s_greedy));
        Assert.True(model.IsLoaded);
        Assert.NotNull(await second.GetResponseAsync("Once", s_greedy));
    }

    [Fact]
    public async Task Dispose_Model_IsNotLoadedAndThrowsNamingHipModel()
    {
        var model = new HipModel(SharedModel.Engine);
        using var client = new HipChatClient(model);
        Assert.True(model.IsLoaded);

        model.Dispose();

        Assert.False(model.IsLoaded);
        var e = await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetResponseAsync("Once", s_greedy));
        Assert.Contains(nameof(HipModel), e.ObjectName);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => model.LoadAsync());
    }

    [Fact]
    public async Task Constructor_ModelPath_LoadsOwnsAndFreesItsModel()
    {
        var client = new HipChatClient(SharedModel.ModelPath, new HipChatClientOptions { Device = DeviceKind.Cpu, ContextLength = 64 });
        var expected = await SharedModel.ReferenceAsync(SharedModel.Engine, "Once upon a time", SamplingParams.Greedy with { MaxTokens = 3 });

        var response = await client.GetResponseAsync("Once upon a time", s_greedy);
        var engine = client.GetService<InferenceEngine>()!;
        client.Dispose();

        Assert.Equal(expected.Text, response.Text);
        Assert.Equal("stories260K", response.ModelId);
        Assert.False(client.Model.IsLoaded);
        Assert.Throws<ObjectDisposedException>(() => engine.GenerateAsync([1], SamplingParams.Greedy));
        Assert.Throws<FileNotFoundException>(() => new HipChatClient(Path.Combine(_folder, "missing.gguf")));
    }

    [Fact]
    public async Task Dispose_ModelWhileAResponseStreams_EndsTheRequestWithoutCrashing()
    {
        var model = new HipModel(new HipChatClientOptions { ModelPath = SharedModel.ModelPath }, TestGpu.Gpu);
        using var client = new HipChatClient(model);
        await model.LoadAsync();
        int updates = 0;

        var error = await Record.ExceptionAsync(async () =>
        {
            var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 300, AdditionalProperties = new() { [HipChatClient.IgnoreEosKey] = true } };
            await foreach (var update in client.GetStreamingResponseAsync("Once upon a time", options))
                if (update.Text.Length > 0 && ++updates == 2)
                    await Task.Run(model.Dispose);
        });

        Assert.True(error is OperationCanceledException or ObjectDisposedException, $"expected cancellation, got {error}");
        TestGpu.ThrowIfFaulted();
    }

    [Fact]
    public async Task HostStart_CorruptModelFile_FailsWithTheLoadersMessage()
    {
        string path = Path.Combine(_folder, "corrupt.gguf");
        var bytes = File.ReadAllBytes(SharedModel.ModelPath);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 3).ToArray());   // truncated in the tensor data
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<Gpu>(TestGpu.Gpu);
        builder.Services.AddHipChatClient(path);
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("corrupt.gguf", e.Message);
        Assert.IsType<InvalidDataException>(e.InnerException);
    }

    [Fact]
    public void Validate_EngineRules_LiveInEngineOptionsAndKeepTheClientsName()
    {
        var engine = Assert.Throws<ArgumentOutOfRangeException>(() => new EngineOptions { Device = (DeviceKind)42 }.Validate());
        var client = Assert.Throws<ArgumentOutOfRangeException>(() => new HipChatClientOptions { ModelPath = SharedModel.ModelPath, Device = (DeviceKind)42 }.Validate());
        var hip = Assert.Throws<ArgumentException>(() => new HipChatClientOptions
        {
            ModelPath = SharedModel.ModelPath, Attention = AttentionKind.Hip, Hip = new HipAttentionOptions { K = 3 },
        }.Validate());

        Assert.Equal("Device", engine.ParamName);
        Assert.Equal("Device", client.ParamName);
        Assert.StartsWith("HipChatClientOptions." + engine.Message.Split(" (Parameter")[0], client.Message);
        Assert.Equal("Hip.K", hip.ParamName);
        Assert.StartsWith("HipChatClientOptions.Hip: ", hip.Message);
    }
}
