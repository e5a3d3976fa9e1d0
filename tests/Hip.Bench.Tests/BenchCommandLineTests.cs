using System.CommandLine;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;

namespace Hip.Bench.Tests;

public sealed class BenchCommandLineTests
{
    private static readonly string[] s_hipOptions =
        ["--k", "--block-size-q", "--block-stride-q", "--block-size-k", "--block-stride-k", "--sink", "--window", "--refresh-interval", "--dense-layers", "--max-k"];

    // Every option each command took before System.CommandLine (eng/*.sh, bench/*.py and docs use them): none may go.
    public static readonly TheoryData<string, string[]> OptionsToKeep = new()
    {
        { "quality", ["--dataset", "--context", "--heads", "--kv-heads", "--head-dim", "--seed", "--query-blocks", "--threads", "--timings", "--half-mask-queries",
            "--model", "--text", "--layer", "--needles", "--needle-width", "--needle-strength", "--walk-correlation", "--query-strength", .. s_hipOptions] },
        { "attention", ["--method", "--phase", "--context", "--heads", "--kv-heads", "--head-dim", "--device", "--kv", "--warmup", "--runs", "--check", .. s_hipOptions] },
        { "generate", ["--model", "--synthetic", "--type", "--cache", "--context", "--attention", "--kv", "--decode-steps", "--prefill-limit",
            "--device", "--seed", "--prefill-chunk", "--out", "--prepare-only", .. s_hipOptions] },
        { "matvec", ["--device", "--types", "--shapes", "--warmup", "--runs", "--launches"] },
        { "gemm", ["--rows", "--warmup", "--runs", "--inner", "--device", "--shape-divisor", "--check", "--ptx"] },
        { "flash", ["--contexts", "--heads", "--kv-heads", "--head-dim", "--device", "--warmup", "--runs", "--check", "--mask", "--no-dense", .. s_hipOptions] },
    };

    public static TheoryData<string> Commands => [.. BenchCommandLine.Create().Subcommands.Select(c => c.Name)];

    private static (int Exit, string Output, string Errors) Run(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        int exit = BenchCommandLine.Run(args, output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    // an option's line in the help's option list: "  --k <k>  ..." or "  -h, --help  ..."
    private static bool Lists(string help, string option) =>
        Regex.IsMatch(help, $@"(?m)^\s+(?:-[^\s,]+, )*{Regex.Escape(option)}(?=[ ,]|$)");

    [Theory]
    [MemberData(nameof(OptionsToKeep))]
    public void Help_OfEachCommand_ListsEveryOptionItTakesAndEveryOneItTookBefore(string command, string[] before)
    {
        var definition = BenchCommandLine.Create().Subcommands.Single(c => c.Name == command);

        var (exit, help, errors) = Run(command, "--help");

        Assert.True(exit == 0, errors);
        Assert.Contains($"Hip.Bench {command} [options]", help);
        foreach (string option in before)
            Assert.True(Lists(help, option), $"{command} --help does not list {option}:\n{help}");
        foreach (var option in definition.Options)
            foreach (string name in option.Aliases.Prepend(option.Name))
                Assert.True(Lists(help, name), $"{command} --help does not list {name}:\n{help}");
        Assert.Empty(before.Except(definition.Options.Select(o => o.Name)));
    }

    [Fact]
    public void Help_OfTheRoot_ListsEveryCommand()
    {
        var (exit, help, _) = Run("--help");

        Assert.Equal(0, exit);
        Assert.Equal(OptionsToKeep.Select(row => (string)row[0]).Order(), BenchCommandLine.Create().Subcommands.Select(c => c.Name).Order());
        foreach (var command in BenchCommandLine.Create().Subcommands)
            Assert.Matches($@"(?m)^\s+{command.Name}\s", help);
    }

    [Fact]
    public void Run_NoCommand_ExitsWith2AndNamesTheCommands()
    {
        var (exit, output, errors) = Run();

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains("quality, attention, generate, matvec, gemm, flash", errors);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Run_UnknownOption_ExitsWith2AndNamesIt(string command)
    {
        var (exit, output, errors) = Run(command, "--no-such-option", "1");

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains("'--no-such-option'", errors);
        Assert.Contains($"'Hip.Bench {command} --help'", errors);
    }

    [Theory]
    [InlineData("--context", "attention", "--context", "abc")]
    [InlineData("--runs", "attention", "--runs", "1.5")]
    [InlineData("--method", "attention", "--method", "sparse")]
    [InlineData("--device", "attention", "--device", "gpu")]
    [InlineData("--context", "attention", "--context")]
    [InlineData("--dataset", "quality", "--dataset", "haystack")]
    [InlineData("--needle-width", "quality", "--needle-width", "wide")]
    [InlineData("--needles applies only to --dataset needles", "quality", "--dataset", "random-walk", "--needles", "4")]
    [InlineData("--model applies only to --dataset model", "quality", "--model", "x.gguf")]
    [InlineData("--types entry 'q9_z'", "matvec", "--types", "f16,q9_z")]
    [InlineData("--shapes entries are OUTxIN", "matvec", "--shapes", "4096")]
    [InlineData("--rows", "gemm", "--rows", "many")]
    [InlineData("--contexts 'x'", "flash", "--contexts", "8192,x")]
    [InlineData("--k", "flash", "--k", "x")]
    [InlineData("--attention", "generate", "--attention", "sparse")]
    public void Run_InvalidValue_ExitsWith2AndNamesTheOption(string expected, params string[] args)
    {
        var (exit, output, errors) = Run(args);

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.StartsWith("error: ", errors);
        Assert.Contains(expected, errors);
        Assert.DoesNotContain("   at ", errors);   // no stack trace
    }

    // the command lines of eng/gpu-check.sh, eng/gpu-bench.sh, eng/gpu-generate.sh, README.md and docs/benchmarks.md
    [Theory]
    [InlineData("quality --dataset needles --context 16384")]
    [InlineData("quality --dataset needles --context 16384 --half-mask-queries")]
    [InlineData("quality --dataset model --context 512 --k 32 --window 64 --sink 16 --block-size-q 32")]
    [InlineData("attention --method hip --phase prefill --context 8192 --warmup 1 --runs 5")]
    [InlineData("attention --method dense --phase decode --context 1048576 --warmup 3 --runs 20")]
    [InlineData("generate --synthetic llama-3.1-8b --cache /tmp/syn --decode-steps 32 --kv f16 --type q4_k_m --context 512,32768,131072 --attention hip --prefill-limit 60")]
    [InlineData("generate --synthetic llama-3.1-8b --cache /tmp/syn --decode-steps 32 --kv f16 --type f16 --context 512,32768 --attention hip --prefill-limit 60")]
    [InlineData("generate --model models/stories260K/stories260K.gguf --context 64,448 --attention dense --decode-steps 60")]
    [InlineData("generate --synthetic llama-3.2-1b --type f16 --cache /tmp/syn --context 512,8192 --attention hip --kv f16 --decode-steps 32 --prefill-limit 40")]
    [InlineData("generate --synthetic llama-3.1-8b --type q4_k_m --cache /tmp/c --prepare-only --out /tmp/o/prepare.json")]
    [InlineData("generate --synthetic llama-3.1-8b --type f16 --cache /tmp/c --context 512,32768,131072 --attention dense --kv f32 --decode-steps 64 --prefill-limit 60 --device cuda --out /tmp/o/g.json")]
    [InlineData("flash --contexts 32768,131072 --no-dense --mask --warmup 1 --runs 3")]
    [InlineData("flash --check --mask --contexts 8192,32768 --runs 5 --warmup 1")]
    [InlineData("gemm --rows 8192 --warmup 2 --runs 5 --inner 2 --check")]
    [InlineData("matvec --device cuda --types q4_K,q6_K")]
    public void Parse_TheCommandLinesOfTheScriptsAndDocs_HasNoError(string commandLine)
    {
        var parse = BenchCommandLine.Create().Parse(commandLine.Split(' '));

        Assert.Empty(parse.Errors.Select(BenchCommandLine.Describe));
        Assert.Empty(parse.UnmatchedTokens);
    }

    [Fact]
    public void EntryPoint_AsHipGpuRunnerCallsIt_ReturnsTheExitCode()
    {
        // eng/Hip.GpuRunner runs `bench ARGS` through Hip.Bench's entry point in its own process
        var entry = typeof(BenchCommandLine).Assembly.EntryPoint!;

        Assert.Equal(2, entry.Invoke(null, [new[] { "matvec", "--runs", "x" }]));
        Assert.Equal(0, entry.Invoke(null, [new[] { "matvec", "--help" }]));
    }

    [Fact]
    public void Executable_BadValue_PrintsOneErrorLineNoStackTrace()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { typeof(BenchCommandLine).Assembly.Location, "attention", "--kv", "f8" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string errors = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000));

        Assert.Equal(2, process.ExitCode);
        Assert.Equal("", output);
        Assert.Contains("error: --kv: Argument 'f8' not recognized. Must be one of: 'f16', 'f32'", errors);
        Assert.DoesNotContain("Exception", errors);
    }
}
