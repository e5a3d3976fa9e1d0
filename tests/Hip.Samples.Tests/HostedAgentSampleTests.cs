using Xunit;

namespace Hip.Samples.Tests;

public sealed class HostedAgentSampleTests
{
    [Fact]
    public async Task Run_Default_AnswersTheConfiguredPromptAndExits()
    {
        var result = await SampleRunner.RunAsync("Hip.Samples.HostedAgent", "--Agent:MaxOutputTokens", "20");

        Assert.True(result.ExitCode == 0, result.Errors);
        string answer = result.Output.Trim();
        Assert.StartsWith("Once upon a time", answer);
        Assert.True(answer.Length > "Once upon a time".Length + 20, $"too short: '{answer}'");
        Assert.Contains("Loaded stories260K", result.Errors);   // the hosted service's progress log, on stderr
        Assert.Contains("20 tokens", result.Errors);
    }

    [Fact]
    public async Task Run_PromptFromTheCommandLine_IsAnswered()
    {
        var result = await SampleRunner.RunAsync("Hip.Samples.HostedAgent", "--Agent:Prompt", "The dog", "--Agent:MaxOutputTokens", "8");

        Assert.True(result.ExitCode == 0, result.Errors);
        Assert.StartsWith("The dog", result.Output.Trim());
    }

    [Fact]
    public async Task Run_MissingModelFile_ExitsWithAClearError()
    {
        var result = await SampleRunner.RunAsync("Hip.Samples.HostedAgent", "--Hip:ModelPath", "no-such-model.gguf");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no-such-model.gguf", result.Errors);
        Assert.Equal("", result.Output.Trim());
    }
}
