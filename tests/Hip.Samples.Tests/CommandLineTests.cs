using System.CommandLine;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Hip.Samples.Tests;

/// <summary>
/// Every sample's command line (System.CommandLine): --help lists every option of its definition and every option it
/// took before, exit 0, without loading a model; an unknown option or a bad value is an error naming it, exit 2.
/// </summary>
public sealed class CommandLineTests
{
    private const string Chat = "Hip.Samples.Chat", SemanticKernel = "Hip.Samples.SemanticKernel",
        CodebaseAgent = "Hip.Samples.CodebaseAgent", HostedAgent = "Hip.Samples.HostedAgent";

    private static readonly Dictionary<string, Func<RootCommand>> s_definitions = new()
    {
        [Chat] = ChatCommandLine.Create,
        [SemanticKernel] = () => new SemanticKernelCommandLine(),
        [CodebaseAgent] = CodebaseAgentCommandLine.Create,
        [HostedAgent] = HostedAgentCommandLine.Create,
    };

    // the options each sample took before System.CommandLine (README, docs and scripts use them): none may go
    private static readonly Dictionary<string, string[]> s_before = new()
    {
        [Chat] = ["--prompt", "--system", "--max-tokens", "--temperature", "--top-k", "--top-p", "--seed", "--model", "--tokenizer", "--context",
            "--attention", "--device"],
        [SemanticKernel] = ["--prompt", "--max-tokens", "--model"],
        [CodebaseAgent] = ["--question", "--max-tokens", "--temperature", "--model", "--context", "--device", "--attention", "--hip-k", "--hip-window",
            "--hip-sink", "--hip-block-q", "--hip-block-k", "--hip-stride-q", "--hip-stride-k", "--hip-refresh", "--hip-dense-layers"],
        [HostedAgent] = [.. AppSettingsKeys()],   // every key of the Agent and Hip sections of its appsettings.json
    };

    public static TheoryData<string> Samples => [Chat, SemanticKernel, CodebaseAgent, HostedAgent];

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Help_ListsEveryOptionOfTheDefinitionAndOfBefore(string sample)
    {
        var definition = s_definitions[sample]();

        var result = await SampleRunner.RunAsync(sample, "--help");

        Assert.True(result.ExitCode == 0, result.Errors);
        Assert.Contains($"{sample} ", result.Output);   // the usage line
        Assert.DoesNotContain("Loaded", result.Output + result.Errors);
        foreach (string option in s_before[sample])
            Assert.True(Lists(result.Output, option), $"{sample} --help does not list {option}:\n{result.Output}");
        foreach (var option in definition.Options)
            foreach (string name in option.Aliases.Prepend(option.Name).Where(n => n.StartsWith('-')))   // not --help's hidden /h, /?
                Assert.True(Lists(result.Output, name), $"{sample} --help does not list {name}:\n{result.Output}");
        Assert.Empty(s_before[sample].Except(definition.Options.Select(o => o.Name)));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Run_UnknownOption_ExitsWith2AndNamesIt(string sample)
    {
        var result = await SampleRunner.RunAsync(sample, "--no-such-option");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: Unrecognized command or argument '--no-such-option'.", result.Errors);
        Assert.Contains("usage:", result.Errors);
        Assert.Equal("", result.Output);
    }

    [Theory]
    [InlineData(Chat, "--max-tokens", "--max-tokens", "x")]
    [InlineData(Chat, "--temperature", "--temperature", "warm")]
    [InlineData(Chat, "--attention", "--attention", "sparse")]
    [InlineData(Chat, "--device", "--device", "gpu")]
    [InlineData(Chat, "--seed", "--seed")]
    [InlineData(SemanticKernel, "--max-tokens", "--max-tokens", "many")]
    [InlineData(SemanticKernel, "--prompt", "--prompt")]
    [InlineData(CodebaseAgent, "--context", "--context", "big")]
    [InlineData(CodebaseAgent, "--max-tokens must be > 0", "--max-tokens", "0")]
    [InlineData(CodebaseAgent, "(--hip-k) need --attention hip", "--hip-k", "64")]
    [InlineData(CodebaseAgent, "--hip-k: HipAttentionOptions.K = 3", "--attention", "hip", "--hip-k", "3")]
    [InlineData(CodebaseAgent, "'second'", "first", "second")]
    [InlineData(HostedAgent, "--Agent:MaxOutputTokens", "--Agent:MaxOutputTokens", "x")]
    [InlineData(HostedAgent, "--Hip:Device", "--hip:device=gpu")]
    [InlineData(HostedAgent, "'--Agent:Promt'", "--Agent:Promt", "The dog")]
    public async Task Run_InvalidValue_ExitsWith2AndNamesTheOption(string sample, string expected, params string[] args)
    {
        var result = await SampleRunner.RunAsync(sample, args);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.Errors);
        Assert.Contains(expected, result.Errors);
        Assert.DoesNotContain("   at ", result.Errors);   // no stack trace
        Assert.Equal("", result.Output);
    }

    // an option's line in the help's option list: "  --top-k <top-k>  ..." or "  -h, --help  ..."
    private static bool Lists(string help, string option) =>
        Regex.IsMatch(help, $@"(?m)^\s+(?:-[^\s,]+, )*{Regex.Escape(option)}(?=[ ,]|$)");

    private static IEnumerable<string> AppSettingsKeys()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.json")));
        foreach (string section in new[] { "Agent", "Hip" })
            foreach (var key in settings.RootElement.GetProperty(section).EnumerateObject())
                yield return $"--{section}:{key.Name}";
    }
}
