using System.Text.Json.Nodes;
using Xunit;

namespace Hip.Bench.Tests;

public sealed class GenerateCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hip-generate-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private int Run(params string[] args) => GenerateCommand.Run(new CommandLine(args));

    [Theory]
    [InlineData("--synthetic", "llama-3.1-8b", "--type", "q3_k", "--prepare-only", "f16, bf16, q8_0, q4_k_m")]
    [InlineData("--synthetic", "llama-9b", "--type", "f16", "--prepare-only", "llama-3.2-1b, llama-3.1-8b, qwen2.5-7b")]
    [InlineData("--synthetic", "tiny", "--decode-steps", "8", "--prepare-only", "at least 32")]
    [InlineData("--synthetic", "tiny", "--context", "512,abc", "--prepare-only", "'abc' is not a token count")]
    [InlineData("--attention", "dense", "--decode-steps", "32", "--prepare-only", "exactly one of --model PATH or --synthetic")]
    public void Run_BadInput_NamesTheChoices(string a, string b, string c, string d, string e, string expected)
    {
        var error = Assert.Throws<UsageException>(() => Run(a, b, c, d, e, "--cache", _folder));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Run_TinyOnCpu_ReportsPrefillAndMedianDecodePerContext()
    {
        string json = Path.Combine(_folder, "out.json");

        int exit = Run("--synthetic", "tiny", "--type", "f16", "--cache", _folder, "--context", "8", "--decode-steps", "32",
            "--device", "cpu", "--out", json);

        Assert.Equal(0, exit);
        var report = JsonNode.Parse(File.ReadAllText(json))!;
        Assert.True(report["memory"]!["weightBytes"]!.GetValue<long>() > 0);
        Assert.True(report["memory"]!["totalBytes"]!.GetValue<long>() > 0);
        var contexts = report["contexts"]!.AsArray();
        Assert.Equal([8], contexts.Select(c => c!["context"]!.GetValue<int>()));
        foreach (var c in contexts)
        {
            Assert.True(c!["prefill"]!["complete"]!.GetValue<bool>());
            Assert.Equal(c["context"]!.GetValue<int>(), c["prefill"]!["tokens"]!.GetValue<int>() + c["prefill"]!["cachedTokens"]!.GetValue<int>());
            Assert.Equal(32, c["decode"]!["steps"]!.GetValue<int>());
            Assert.True(c["decode"]!["tokensPerSecond"]!.GetValue<double>() > 0);
        }
    }
}
