using System.Text.Json.Nodes;
using Xunit;

namespace Hip.Bench.Tests;

public sealed class GenerateCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hip-generate-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static int Run(params string[] args) => BenchCommandLine.Run(["generate", .. args]);

    [Theory]
    [InlineData("--type: Argument 'q3_k' not recognized. Must be one of: 'f16', 'bf16', 'q8_0', 'q4_k_m'", "--synthetic", "llama-3.1-8b", "--type", "q3_k")]
    [InlineData("'llama-3.2-1b', 'llama-3.1-8b', 'qwen2.5-7b'", "--synthetic", "llama-9b", "--type", "f16")]
    [InlineData("at least 32", "--synthetic", "tiny", "--decode-steps", "8")]
    [InlineData("--context 'abc' is not a token count", "--synthetic", "tiny", "--context", "512,abc")]
    [InlineData("exactly one of --model PATH or --synthetic", "--attention", "dense", "--decode-steps", "32")]
    [InlineData("--k applies only with --attention hip", "--synthetic", "tiny", "--attention", "dense", "--k", "64")]
    [InlineData("--prefill-limit", "--synthetic", "tiny", "--prefill-limit", "soon")]
    public void Run_BadInput_ExitsWith2AndNamesTheChoices(string expected, params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();

        int exit = BenchCommandLine.Run(["generate", .. args, "--prepare-only", "--cache", _folder], output, errors);

        Assert.Equal(2, exit);
        Assert.Contains(expected, errors.ToString());
        Assert.Equal("", output.ToString());
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
