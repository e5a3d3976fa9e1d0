using Hip.Inference;
using Hip.Kernels;
using Hip.TestSupport;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Xunit;

namespace Hip.SemanticKernel.Tests;

public sealed class HipKernelBuilderExtensionsTests
{
    private static Kernel BuildKernel(string? serviceId = null)
    {
        var builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton<Gpu>(TestGpu.Gpu);
        builder.AddHipChatCompletion(SharedModel.ModelPath, serviceId: serviceId);
        return builder.Build();
    }

    private static async Task<string> ExpectedAsync(string prompt, int tokens) =>
        (await SharedModel.ReferenceAsync(SharedModel.Engine, prompt, SamplingParams.Greedy with { MaxTokens = tokens })).Text;

    [Fact]
    public async Task InvokePromptAsync_GreedySettings_ReturnsTheModelsText()
    {
        var kernel = BuildKernel();

        var result = await kernel.InvokePromptAsync("Once upon a time", new KernelArguments(new HipPromptExecutionSettings { Temperature = 0, MaxTokens = 5 }));

        Assert.Equal(await ExpectedAsync("Once upon a time", 5), result.GetValue<string>());
    }

    [Fact]
    public async Task InvokePromptAsync_TemplateVariables_AreRendered()
    {
        var kernel = BuildKernel(serviceId: "hip");
        var function = kernel.CreateFunctionFromPrompt("{{$start}} upon a time",
            new PromptExecutionSettings { ServiceId = "hip", ExtensionData = new Dictionary<string, object> { ["temperature"] = 0, ["max_tokens"] = 4 } });

        var result = await kernel.InvokeAsync(function, new() { ["start"] = "Once" });

        Assert.Equal(await ExpectedAsync("Once upon a time", 4), result.ToString());
    }

    [Fact]
    public async Task GetStreamingChatMessageContents_ChatHistory_StreamsTheText()
    {
        var kernel = BuildKernel();
        var service = kernel.GetRequiredService<IChatCompletionService>();
        var history = new ChatHistory();
        history.AddUserMessage("Once upon a time");

        string text = "";
        await foreach (var chunk in service.GetStreamingChatMessageContentsAsync(history, new HipPromptExecutionSettings { Temperature = 0, MaxTokens = 5 }, kernel))
            text += chunk.Content;

        Assert.Equal(await ExpectedAsync("Once upon a time", 5), text);
        Assert.NotNull(kernel.GetRequiredService<IChatClient>().GetService<HipChatClient>());
    }

    [Fact]
    public async Task GetChatMessageContent_StopSequencesAndSeed_AreHonoured()
    {
        var kernel = BuildKernel();
        var service = kernel.GetRequiredService<IChatCompletionService>();
        var history = new ChatHistory("The dog was happy.");
        history.AddUserMessage("Once upon a time");
        var settings = new HipPromptExecutionSettings { Temperature = 0, MaxTokens = 20, StopSequences = [" little"] };

        var reply = await service.GetChatMessageContentAsync(history, settings, kernel);

        Assert.DoesNotContain("little", reply.Content);
        Assert.False(string.IsNullOrEmpty(reply.Content));
    }
}
