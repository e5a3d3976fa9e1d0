using Hip.TestSupport;
using Xunit;

namespace Hip.Samples.Tests;

public sealed class ChatSampleTests
{
    [Fact]
    public async Task Run_OnceUponATimeGreedy_PrintsTheReferenceContinuation()
    {
        string expected = Stories260KReference.Instance.Text;

        var result = await SampleRunner.RunAsync("Hip.Samples.Chat", "--prompt", "Once upon a time", "--max-tokens", "60", "--temperature", "0");

        Assert.True(result.ExitCode == 0, result.Errors);
        string printed = result.Output.TrimEnd('\n');
        Assert.True(printed.Length > 150, $"too short: '{printed}'");
        Assert.StartsWith(printed, expected);
    }

    [Fact]
    public async Task Run_MissingModelFile_ExitsWithAClearError()
    {
        var result = await SampleRunner.RunAsync("Hip.Samples.Chat", "--model", "no-such-model.gguf", "--max-tokens", "3");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no-such-model.gguf", result.Errors);
    }

    [Fact]
    public async Task Run_UnknownOption_PrintsUsage()
    {
        var result = await SampleRunner.RunAsync("Hip.Samples.Chat", "--bogus");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage:", result.Errors);
    }
}
