using System.Diagnostics;

namespace Hip.Bench;

/// <summary>The timer the device benchmarks share.</summary>
internal static class BenchTiming
{
    /// <summary>Median milliseconds (4 decimals) of <paramref name="runs"/> calls, each ended by <paramref name="synchronize"/>, after warm-up calls.</summary>
    public static double MedianMs(int warmup, int runs, Action call, Action synchronize)
    {
        for (int i = 0; i < warmup; i++)
            call();
        synchronize();
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            call();
            synchronize();
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return Math.Round(times[runs / 2], 4);
    }
}
