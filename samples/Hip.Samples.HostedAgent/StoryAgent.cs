using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

/// <summary>Answers the configured prompt once through an Agent Framework agent over the injected client, then stops the host.</summary>
internal sealed class StoryAgent(IChatClient chatClient, IOptions<AgentOptions> options, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        try
        {
            AIAgent agent = chatClient.AsAIAgent(instructions: settings.Instructions, name: settings.Name);
            var run = new ChatClientAgentRunOptions(new ChatOptions { MaxOutputTokens = settings.MaxOutputTokens, Temperature = settings.Temperature });
            var response = await agent.RunAsync(settings.Prompt, options: run, cancellationToken: stoppingToken);
            Console.WriteLine(settings.Prompt + response.Text);
            Console.Error.WriteLine($"{agent.Name}: {response.Usage?.OutputTokenCount} tokens, finish {response.FinishReason}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Environment.ExitCode = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
