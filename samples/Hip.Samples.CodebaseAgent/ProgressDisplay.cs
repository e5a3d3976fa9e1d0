using System.Diagnostics;
using Spectre.Console;
using Spectre.Console.Rendering;

/// <summary>
/// One step's progress on stderr: Spectre.Console's progress bar (bar, percentage, count, elapsed time) while stderr is
/// a terminal that takes ANSI codes, cleared when the step is done; when stderr is redirected (a log, a test) nothing
/// until then. Either way the step ends with one plain line: "label  total/total unit  summary".
/// </summary>
internal static class ProgressDisplay
{
    /// <summary>Runs <paramref name="work"/>, which reports through the step it is given, then writes the summary line.</summary>
    /// <param name="live">The console to draw the bar on; default: stderr when it is an ANSI terminal, else none.</param>
    /// <param name="log">Where the summary line goes; default: stderr.</param>
    public static async Task<T> RunAsync<T>(string label, int total, string unit, Func<ProgressStep, Task<T>> work,
        Func<T, TimeSpan, string> summary, IAnsiConsole? live = null, TextWriter? log = null)
    {
        var watch = Stopwatch.StartNew();
        live ??= Terminal.Value;
        T result = live is null
            ? await work(new ProgressStep(null))
            : await live.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new CountColumn(unit), new ElapsedTimeColumn())
                .StartAsync(context => work(new ProgressStep(context.AddTask(label, maxValue: Math.Max(total, 1)))));
        (log ?? Console.Error).WriteLine($"{label,-8} {total:N0}/{total:N0} {unit}  {summary(result, watch.Elapsed)}");
        return result;
    }

    // stderr as a Spectre console, when it is a terminal that takes ANSI codes
    private static readonly Lazy<IAnsiConsole?> Terminal = new(() =>
    {
        if (Console.IsErrorRedirected)
            return null;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Interactive = InteractionSupport.Yes,   // stdin may be redirected (questions piped in) while stderr is a terminal
        });
        return console.Profile.Capabilities.Ansi ? console : null;
    });

    /// <summary>What a step reports: how many are done, and optionally a text after the count (a token total).</summary>
    public sealed class ProgressStep(ProgressTask? task) : IProgress<int>
    {
        public void Report(int done)
        {
            if (task is not null)
                task.Value = done;
        }

        public void Report(int done, string detail)
        {
            if (task is not null)
                task.Tag = detail;   // the count column shows it
            Report(done);
        }
    }

    // "done/total unit  detail"
    private sealed class CountColumn(string unit) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            return new Text($"{task.Value:N0}/{task.MaxValue:N0} {unit}{(task.Tag is string detail ? "  " + detail : "")}");
        }
    }
}
