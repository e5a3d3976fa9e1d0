using Hip.TestSupport;
using Xunit;

namespace Hip.Samples.Tests;

public sealed class SemanticKernelSampleTests
{
    [Fact]
    public async Task Run_Default_PrintsThePromptFunctionAndTheChatAnswer()
    {
        string expected = Stories260KReference.Instance.Text;

        var result = await SampleRunner.RunAsync("Hip.Samples.SemanticKernel", "--prompt", "Once upon a time", "--max-tokens", "30");

        Assert.True(result.ExitCode == 0, result.Errors);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.True(lines[0].Length > 100, $"too short: '{lines[0]}'");
        Assert.StartsWith(lines[0], expected);   // greedy: the prompt function continues like the reference
        Assert.StartsWith("One day", lines[1]);
        Assert.True(lines[1].Length > "One day".Length + 20, $"too short: '{lines[1]}'");
    }

    [Fact]
    public async Task Run_MissingModelFile_ExitsWithAClearError()
    {
        var result = await SampleRunner.RunAsync("Hip.Samples.SemanticKernel", "--model", "no-such-model.gguf", "--max-tokens", "3");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no-such-model.gguf", result.Errors);
    }

    [Fact]
    public async Task Run_UnknownOption_PrintsUsage()
    {
        var result = await SampleRunner.RunAsync("Hip.Samples.SemanticKernel", "--bogus");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage:", result.Errors);
    }
}
