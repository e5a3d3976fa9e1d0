using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using Hip.Kernels;

namespace Hip.Bench;

/// <summary>
/// Hip.Bench's command line (System.CommandLine): one subcommand per benchmark, each printing one JSON object (or one
/// per line) on stdout. <c>--help</c> after any command lists its options with their defaults; an unknown option, a
/// value that does not parse or is not one of the choices, or a rule a command checks itself (<see cref="UsageException"/>)
/// is one "error:" line on stderr and exit code 2.
/// </summary>
internal static class BenchCommandLine
{
    public const int UsageExitCode = 2;

    // A named root (not RootCommand, which takes the name of the host executable: testhost, Hip.GpuRunner) with --help.
    public static Command Create() => new("Hip.Bench",
        "Hip.Bench: HiP attention quality on synthetic layers or one layer of a real model (quality, CPU), and attention, " +
        "GEMM, mat-vec and end-to-end speed on a device (attention, flash, gemm, matvec, generate). Each command prints JSON " +
        "on stdout and progress on stderr.")
    {
        new HelpOption(), new QualityCommand(), new AttentionCommand(), new GenerateCommand(), new MatVecCommand(), new GemmCommand(), new FlashCommand(),
    };

    /// <summary>Parses <paramref name="args"/> and runs the command; help and JSON go to <paramref name="output"/>, errors to <paramref name="error"/>.</summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = Create();
        var parse = root.Parse(args);
        string usage = parse.CommandResult.Command == root
            ? $"usage: Hip.Bench COMMAND [options]   (COMMAND: {string.Join(", ", root.Subcommands.Select(c => c.Name))}; 'Hip.Bench COMMAND --help' lists its options)"
            : $"usage: Hip.Bench {parse.CommandResult.Command.Name} [options]   ('Hip.Bench {parse.CommandResult.Command.Name} --help' lists them)";
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
                error.WriteLine($"error: {Describe(e)}");
            error.WriteLine(usage);
            return UsageExitCode;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            error.WriteLine($"error: {e.Message}");
            error.WriteLine(usage);
            return UsageExitCode;
        }
    }

    /// <summary>A parse error on one line, naming its option when the message does not.</summary>
    public static string Describe(ParseError error)
    {
        string message = error.Message.Trim().Replace(":\n\t", ": ").Replace("\n\t", ", ").Replace("?\n", "? ").Replace("\n", ", ");
        return error.SymbolResult is OptionResult { Option.Name: var name } && !message.Contains(name, StringComparison.Ordinal)
            ? $"{name}: {message}" : message;
    }

    /// <summary>An option with a default that --help shows.</summary>
    public static Option<T> Option<T>(string name, T fallback, string description) =>
        new(name) { Description = description, DefaultValueFactory = _ => fallback };

    /// <summary>A string option that takes one of <paramref name="allowed"/> (the first is the default).</summary>
    public static Option<string> Choice(string name, string description, params string[] allowed) =>
        Option(name, allowed[0], description).AcceptOnlyFromAmong(allowed);

    /// <summary>
    /// A text option (a list, a shape) that <paramref name="parse"/> must accept: its <see cref="UsageException"/> is a
    /// parse error naming the option. The command parses the value again where it uses it.
    /// </summary>
    public static Option<string> Parsed<T>(string name, string fallback, string description, Func<string, T> parse)
    {
        var option = Option(name, fallback, description);
        option.Validators.Add(result =>
        {
            try
            {
                parse(result.GetValueOrDefault<string>());
            }
            catch (UsageException e)
            {
                result.AddError(e.Message);
            }
        });
        return option;
    }

    /// <summary>Whether the option was on the command line (not just its default).</summary>
    public static bool Given(this ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>Fails when any of <paramref name="options"/> was given although <paramref name="applies"/> is false.</summary>
    public static void OnlyWhen(this ParseResult parse, bool applies, string when, params Option[] options)
    {
        if (!applies && options.FirstOrDefault(parse.Given) is { } given)
            throw new UsageException($"{given.Name} applies only {when}.");
    }
}

/// <summary>
/// HiP's options: --k, --block-size-q, --block-stride-q, --block-size-k, --block-stride-k, --sink, --window,
/// --refresh-interval, --dense-layers, --max-k; defaults from <see cref="HipAttentionOptions"/> (docs/hip.md).
/// </summary>
internal sealed class HipOptionSet
{
    private static readonly HipAttentionOptions s_defaults = new();
    private readonly Option<int> _k = BenchCommandLine.Option("--k", s_defaults.K, "HiP: keys kept per query block (mask k).");
    private readonly Option<int> _blockSizeQ = BenchCommandLine.Option("--block-size-q", s_defaults.BlockSizeQ, "HiP: queries per query block.");
    private readonly Option<int> _blockStrideQ = BenchCommandLine.Option("--block-stride-q", s_defaults.BlockStrideQ, "HiP: every n-th query of a block scores the branches.");
    private readonly Option<int> _blockSizeK = BenchCommandLine.Option("--block-size-k", s_defaults.BlockSizeK, "HiP: keys per key block.");
    private readonly Option<int> _blockStrideK = BenchCommandLine.Option("--block-stride-k", s_defaults.BlockStrideK, "HiP: every n-th key of a representative block is scored.");
    private readonly Option<int> _sink = BenchCommandLine.Option("--sink", s_defaults.SinkTokens, "HiP: first keys always attended.");
    private readonly Option<int> _window = BenchCommandLine.Option("--window", s_defaults.WindowTokens, "HiP: last keys of each query always attended.");
    private readonly Option<int> _refreshInterval = BenchCommandLine.Option("--refresh-interval", s_defaults.RefreshInterval, "HiP: decode steps between mask refreshes.");
    private readonly Option<int> _denseLayers = BenchCommandLine.Option("--dense-layers", s_defaults.DenseLayers, "HiP: first layers with dense attention.");
    private readonly Option<int> _maxK = BenchCommandLine.Option("--max-k", s_defaults.MaxK, "HiP: largest K accepted.");

    public IReadOnlyList<Option> All => [_k, _blockSizeQ, _blockStrideQ, _blockSizeK, _blockStrideK, _sink, _window, _refreshInterval, _denseLayers, _maxK];

    public void AddTo(Command command)
    {
        foreach (var option in All)
            command.Options.Add(option);
    }

    /// <summary>The options on the command line (defaults for the rest), validated.</summary>
    public HipAttentionOptions Get(ParseResult parse)
    {
        var options = new HipAttentionOptions
        {
            K = parse.GetValue(_k),
            BlockSizeQ = parse.GetValue(_blockSizeQ),
            BlockStrideQ = parse.GetValue(_blockStrideQ),
            BlockSizeK = parse.GetValue(_blockSizeK),
            BlockStrideK = parse.GetValue(_blockStrideK),
            SinkTokens = parse.GetValue(_sink),
            WindowTokens = parse.GetValue(_window),
            RefreshInterval = parse.GetValue(_refreshInterval),
            DenseLayers = parse.GetValue(_denseLayers),
            MaxK = parse.GetValue(_maxK),
        };
        try
        {
            return options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }
}

/// <summary>A bad command line found by a command itself: printed as one "error:" line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
