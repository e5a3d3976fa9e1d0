using System.Diagnostics;
using System.Reflection;
using Hip.GpuRunner;
using Hip.Kernels;
using Hip.TestSupport;

// Runs every [Fact] and [Theory] row of the test assemblies below in this process, one line per test, on CUDA unless
// --device cpu: the GPU machines have no .NET and no xunit runner, only this single-file executable.
string[] testAssemblies = ["Hip.Kernels.Tests", "Hip.Inference.Tests"];

// `Hip.GpuRunner bench ARGS` runs Hip.Bench in this process, so one carried executable does tests and benchmarks.
if (args.Length > 0 && args[0] == "bench")
{
    var entry = Assembly.Load(new AssemblyName("Hip.Bench")).EntryPoint
        ?? throw new InvalidOperationException("Hip.Bench has no entry point.");
    return entry.Invoke(null, [args[1..]]) is int code ? code : 0;
}

string? filter = null;
string device = "cuda";
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--filter" when i + 1 < args.Length: filter = args[++i]; break;
        case "--device" when i + 1 < args.Length && args[i + 1] is "cuda" or "cpu": device = args[++i]; break;
        case "-h" or "--help":
            Console.WriteLine("usage: Hip.GpuRunner [--filter substring] [--device cuda|cpu]   |   Hip.GpuRunner bench COMMAND [options]");
            return 0;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. usage: Hip.GpuRunner [--filter substring] [--device cuda|cpu]");
            return 2;
    }
}

// Before anything touches TestGpu: the shared test accelerator reads the variable once.
Environment.SetEnvironmentVariable(Gpu.DeviceVariable, device);
try
{
    Console.WriteLine($"device: {TestGpu.Gpu.Description}");
}
catch (Exception e)
{
    Console.WriteLine($"device: none ({e.GetType().Name}: {e.Message})");
    return 2;
}

int passed = 0, failed = 0, skipped = 0;
var cases = new List<TestCase>();
foreach (var name in testAssemblies)
{
    try
    {
        cases.AddRange(TestDiscovery.Find(Assembly.Load(new AssemblyName(name)))
            .Where(c => filter is null || c.FullName.Contains(filter, StringComparison.OrdinalIgnoreCase)));
    }
    catch (Exception e)
    {
        failed++;
        Console.WriteLine($"FAIL {name}: loading the test assembly failed: {TestRunner.Describe(e)}");
    }
}
if (cases.Count == 0 && failed == 0)
{
    Console.WriteLine($"No test matches --filter '{filter}'.");
    return 2;
}

var total = Stopwatch.StartNew();
await using (var runner = new TestRunner())
{
    foreach (var test in cases)
    {
        if (test.SkipReason is not null)
        {
            skipped++;
            Console.WriteLine($"SKIP {test.Name}: {test.SkipReason}");
            continue;
        }
        var result = await runner.RunAsync(test);
        if (result.Error is null)
        {
            passed++;
            Console.WriteLine($"PASS {test.Name} ({result.Elapsed.TotalMilliseconds:F0} ms)");
        }
        else
        {
            failed++;
            Console.WriteLine($"FAIL {test.Name}: {TestRunner.Describe(result.Error)}");
            if (result.Output.Length > 0)
                Console.Write(result.Output);
        }
    }
}

Console.WriteLine($"{total.Elapsed.TotalSeconds:F1} s" + (skipped > 0 ? $", {skipped} skipped" : ""));
Console.WriteLine($"{passed} passed, {failed} failed");
return failed == 0 ? 0 : 1;
