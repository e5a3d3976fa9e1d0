using System.CommandLine;
using System.CommandLine.Parsing;

namespace Hip.Samples;

/// <summary>
/// The samples' command lines, parsed by System.CommandLine: <c>--help</c> lists the options with their defaults (exit 0);
/// an unknown option or a bad value is an "error:" line naming the option and a usage line on stderr (exit 2).
/// </summary>
internal static class SampleCommandLine
{
    public const int UsageExitCode = 2;

    /// <summary>The model a sample runs when --model is not given: HIP_MODEL=PATH, else the embedded stories260K.</summary>
    public static string DefaultModel => Environment.GetEnvironmentVariable("HIP_MODEL") is { Length: > 0 } model
        ? model : Path.Combine(AppContext.BaseDirectory, "models", "stories260K", "stories260K.gguf");

    /// <summary>The parse result to read the values from, or null when the program is done with <paramref name="exitCode"/> (help shown, or an error).</summary>
    public static ParseResult? Parse(RootCommand root, string[] args, out int exitCode)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            exitCode = Fail(root, [.. parse.Errors.Select(Describe)]);
            return null;
        }
        if (parse.Action is not null)   // --help (the root command itself has no action)
        {
            exitCode = parse.Invoke();
            return null;
        }
        exitCode = 0;
        return parse;
    }

    /// <summary>Writes the errors and a usage line to stderr; returns the usage exit code.</summary>
    public static int Fail(RootCommand root, params string[] messages)
    {
        foreach (string message in messages)
            Console.Error.WriteLine($"error: {message}");
        string name = RootCommand.ExecutableName, arguments = string.Concat(root.Arguments.Select(a => $" [{a.Name}]"));
        Console.Error.WriteLine($"usage: {name}{arguments} [options]   ('{name} --help' lists them)");
        return UsageExitCode;
    }

    /// <summary>Whether the option was on the command line (not just its default).</summary>
    public static bool Given(this ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    // one line, naming the option when the message does not
    private static string Describe(ParseError error)
    {
        string message = error.Message.Trim().Replace(":\n\t", ": ").Replace("\n\t", ", ").Replace("?\n", "? ").Replace("\n", ", ");
        return error.SymbolResult is OptionResult { Option.Name: var name } && !message.Contains(name, StringComparison.Ordinal)
            ? $"{name}: {message}" : message;
    }
}
