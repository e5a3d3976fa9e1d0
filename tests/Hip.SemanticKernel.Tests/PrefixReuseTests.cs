using Hip.Inference;
using Hip.TestSupport;
using Microsoft.Extensions.AI;
using Xunit;

namespace Hip.SemanticKernel.Tests;

public sealed class PrefixReuseTests
{
    [Fact]
    public async Task GetResponseAsync_SecondTurnOfAConversation_ReportsTheEarlierTurnAsCachedInput()
    {
        using var engine = InferenceEngine.Load(SharedModel.ModelPath, new EngineOptions { ContextLength = 256 }, TestGpu.Gpu);
        using var client = new HipChatClient(engine);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 6 };
        List<ChatMessage> history = [new(ChatRole.User, "Once upon a time, there was a little dog.")];

        var first = await client.GetResponseAsync(history, options);
        history.AddRange(first.Messages);
        history.Add(new ChatMessage(ChatRole.User, "The dog liked to run."));
        var second = await client.GetResponseAsync(history, options);

        Assert.Equal(0, first.Usage!.CachedInputTokenCount);
        // the plain template renders the history as one text, so the second prompt starts with the first one
        long firstPrompt = first.Usage.InputTokenCount!.Value;
        Assert.True(second.Usage!.CachedInputTokenCount >= firstPrompt - 1,
            $"cached {second.Usage.CachedInputTokenCount} of the first turn's {firstPrompt} prompt tokens");
        Assert.True(second.Usage.CachedInputTokenCount < second.Usage.InputTokenCount);
    }
}
