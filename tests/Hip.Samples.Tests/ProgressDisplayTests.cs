using Spectre.Console;
using Xunit;

namespace Hip.Samples.Tests;

/// <summary>The codebase agent's progress display: Spectre.Console's bar on a terminal, one plain line when done.</summary>
public sealed class ProgressDisplayTests
{
    [Fact]
    public async Task RunAsync_OnAnAnsiTerminal_DrawsSpectresBarThenWritesThePlainLine()
    {
        var screen = new StringWriter();
        var log = new StringWriter();
        var terminal = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(screen),
        });

        int result = await ProgressDisplay.RunAsync("load", 3, "files", async step =>
        {
            for (int i = 1; i <= 3; i++)
            {
                step.Report(i, $"{i * 10} tokens");
                await Task.Delay(150);   // past Spectre's refresh interval: each state is drawn
            }
            return 42;
        }, (value, elapsed) => $"{value} done after {(elapsed >= TimeSpan.FromMilliseconds(450) ? "the steps" : "too little time")}", terminal, log);

        Assert.Equal(42, result);
        string drawn = screen.ToString();
        Assert.Contains("load", drawn);
        Assert.Contains("3/3 files  30 tokens", drawn);   // the count column with the step's detail
        Assert.Contains("100%", drawn);
        Assert.Contains("\u001b[", drawn);                // redrawn in place with ANSI codes
        Assert.Equal("load     3/3 files  42 done after the steps" + Environment.NewLine, log.ToString());
    }

    [Fact]
    public async Task RunAsync_ReportsFromAnotherThread_AreSafe()
    {
        var screen = new StringWriter();
        var terminal = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.Yes, Interactive = InteractionSupport.Yes, Out = new AnsiConsoleOutput(screen) });

        await ProgressDisplay.RunAsync("prefill", 1000, "tokens", step => Task.Run(() =>
        {
            Parallel.For(0, 1000, i => step.Report(i + 1));   // the engine reports prefill progress from its own thread
            return 0;
        }), (_, _) => "", terminal, TextWriter.Null);

        Assert.Contains("prefill", screen.ToString());
    }
}
