using Hip.Inference;
using Hip.Kernels;
using Hip.TestSupport;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Services;
using Xunit;

namespace Hip.SemanticKernel.Tests;

/// <summary>Registration through a real Generic Host: options validated at start, the model loaded by the hosted service.</summary>
public sealed class HipServiceCollectionExtensionsTests
{
    private static readonly ChatOptions s_greedy = new() { Temperature = 0, MaxOutputTokens = 4 };

    private static HostApplicationBuilder NewHostBuilder(ListLoggerProvider? logs = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<Gpu>(TestGpu.Gpu);   // share the test accelerator (not disposed by the container: it is an instance)
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        if (logs is not null)
            builder.Logging.AddProvider(logs);
        return builder;
    }

    private static async Task<string> ExpectedAsync() =>
        (await SharedModel.ReferenceAsync(SharedModel.Engine, "Once upon a time", SamplingParams.Greedy with { MaxTokens = 4 })).Text;

    [Fact]
    public void AddHipChatClient_OptionsObject_CopiesEverySetting()
    {
        var source = new HipChatClientOptions
        {
            ModelPath = SharedModel.ModelPath, ContextLength = 128, Attention = AttentionKind.Hip, PrefixCacheSlots = 3,
            Hip = new HipAttentionOptions { K = 256, WindowTokens = 128 }, ChatTemplate = "chatml", PrefillChunk = 16,
        };
        var services = new ServiceCollection();
        services.AddHipChatClient(source);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<HipChatClientOptions>>().Value;

        foreach (var property in typeof(HipChatClientOptions).GetProperties())
            Assert.Equal(property.GetValue(source), property.GetValue(options));
        Assert.NotSame(source, options);
    }

    [Fact]
    public async Task AddHipChatClient_HostStarts_LoadsModelAndAnswersThroughThePipeline()
    {
        var logs = new ListLoggerProvider();
        var builder = NewHostBuilder(logs);
        builder.Services.AddHipChatClient(o => o.ModelPath = SharedModel.ModelPath)
            .UseFunctionInvocation()
            .UseOpenTelemetry()
            .UseLogging();
        using var host = builder.Build();

        await host.StartAsync();
        var model = host.Services.GetRequiredService<HipModel>();
        await model.LoadAsync();
        var client = host.Services.GetRequiredService<IChatClient>();
        var response = await client.GetResponseAsync("Once upon a time", s_greedy);
        await host.StopAsync();

        Assert.Equal(await ExpectedAsync(), response.Text);
        Assert.NotNull(client.GetService<FunctionInvokingChatClient>());
        Assert.NotNull(client.GetService<OpenTelemetryChatClient>());
        Assert.Same(host.Services.GetRequiredService<HipChatClient>(), client.GetService<HipChatClient>());
        Assert.Equal("hip", client.GetService<ChatClientMetadata>()!.ProviderName);
        Assert.Contains(logs.Lines, l => l.Contains("Loading model") && l.Contains(SharedModel.ModelPath));
        Assert.Contains(logs.Lines, l => l.Contains("Loaded stories260K"));
    }

    [Fact]
    public async Task AddHipChatCompletion_HostStarts_ResolvesChatCompletionServiceAndChatClient()
    {
        var builder = NewHostBuilder();
        builder.Services.AddHipChatCompletion(SharedModel.ModelPath);
        using var host = builder.Build();
        await host.StartAsync();

        var service = host.Services.GetRequiredService<IChatCompletionService>();
        var history = new ChatHistory();
        history.AddUserMessage("Once upon a time");
        var reply = await service.GetChatMessageContentAsync(history, new HipPromptExecutionSettings { Temperature = 0, MaxTokens = 4 });
        var client = host.Services.GetRequiredService<IChatClient>();
        await host.StopAsync();

        Assert.Equal(await ExpectedAsync(), reply.Content);
        Assert.Equal(AuthorRole.Assistant, reply.Role);
        Assert.Equal("stories260K", service.GetModelId());
        Assert.NotNull(client.GetService<HipChatClient>());
    }

    [Fact]
    public async Task AddKeyedHipChatClient_TwoKeys_EachResolvesItsOwnModel()
    {
        var builder = NewHostBuilder();
        builder.Services.AddKeyedHipChatClient("a", o => { o.ModelPath = SharedModel.ModelPath; o.ModelId = "model-a"; });
        builder.Services.AddKeyedHipChatClient("b", o => { o.ModelPath = SharedModel.ModelPath; o.ModelId = "model-b"; o.ContextLength = 64; });
        using var host = builder.Build();
        await host.StartAsync();

        var a = host.Services.GetRequiredKeyedService<IChatClient>("a");
        var b = host.Services.GetRequiredKeyedService<IChatClient>("b");
        var response = await b.GetResponseAsync("Once upon a time", s_greedy);
        await host.StopAsync();

        Assert.Equal("model-a", a.GetService<ChatClientMetadata>()!.DefaultModelId);
        Assert.Equal("model-b", response.ModelId);
        Assert.Equal(64, b.GetService<InferenceEngine>()!.ContextLength);
        Assert.Null(host.Services.GetService<IChatClient>());
    }

    [Fact]
    public async Task AddHipChatClient_MissingModelPath_HostStartFailsNamingTheOption()
    {
        var builder = NewHostBuilder();
        builder.Services.AddHipChatClient();
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("ModelPath", e.Message);
    }

    [Fact]
    public async Task AddHipChatClient_ModelFileMissing_HostStartFailsNamingTheFile()
    {
        var builder = NewHostBuilder();
        builder.Services.AddHipChatClient("no-such-model.gguf");
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("no-such-model.gguf", e.Message);
    }

    [Fact]
    public async Task AddHipChatClient_InvalidOption_HostStartFailsNamingIt()
    {
        var builder = NewHostBuilder();
        builder.Services.AddHipChatClient(SharedModel.ModelPath, o => o.ContextLength = 0);
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("ContextLength", e.Message);
    }

    [Fact]
    public async Task AddHipChatClient_OptionsFromConfiguration_AreUsed()
    {
        var builder = NewHostBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hip:ModelPath"] = SharedModel.ModelPath,
            ["Hip:ModelId"] = "from-config",
            ["Hip:ChatTemplate"] = "plain",
        });
        builder.Services.Configure<HipChatClientOptions>(builder.Configuration.GetSection("Hip"));
        builder.Services.AddHipChatClient();
        using var host = builder.Build();
        await host.StartAsync();

        var response = await host.Services.GetRequiredService<IChatClient>().GetResponseAsync("Once upon a time", s_greedy);
        await host.StopAsync();

        Assert.Equal("from-config", response.ModelId);
        Assert.Equal(await ExpectedAsync(), response.Text);
    }

    [Fact]
    public async Task AddHipChatClient_WithoutHost_LoadsOnFirstRequest()
    {
        var services = new ServiceCollection();
        services.AddSingleton<Gpu>(TestGpu.Gpu);
        services.AddHipChatClient(new HipChatClientOptions { ModelPath = SharedModel.ModelPath });
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();

        Assert.False(provider.GetRequiredService<HipModel>().IsLoaded);
        Assert.Equal(4, (await client.GetResponseAsync("Once upon a time", s_greedy)).Usage!.OutputTokenCount);
    }

    [Fact]
    public void Registration_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => HipServiceCollectionExtensions.AddHipChatClient(null!));
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddKeyedHipChatClient(null!));
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddHipChatClient((HipChatClientOptions)null!));
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddHipChatClient(" "));
        Assert.Throws<ArgumentNullException>(() => HipServiceCollectionExtensions.AddHipChatCompletion(null!));
        Assert.Throws<ArgumentNullException>(() => HipKernelBuilderExtensions.AddHipChatCompletion(null!, SharedModel.ModelPath));
    }
}
