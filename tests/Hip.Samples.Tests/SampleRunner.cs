using System.Diagnostics;

namespace Hip.Samples.Tests;

/// <summary>Runs a sample's built assembly as its own process, the way a user starts it, and captures its output.</summary>
public static class SampleRunner
{
    public sealed record Result(int ExitCode, string Output, string Errors);

    public static async Task<Result> RunAsync(string sampleAssembly, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, sampleAssembly + ".dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException($"The sample {sampleAssembly} was not built next to the tests.", dll);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(dll);
        foreach (var a in args)
            start.ArgumentList.Add(a);
        start.Environment["HIP_DEVICE"] = Environment.GetEnvironmentVariable("HIP_DEVICE") ?? "cpu";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await output, await errors);
    }
}
