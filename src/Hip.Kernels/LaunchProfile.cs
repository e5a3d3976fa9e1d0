using ILGPU.Runtime;

namespace Hip.Kernels;

/// <summary>
/// GPU time per launch label of eager decode steps, from events recorded on the stream between launches (ILGPU
/// profiling markers; the context must be created with profiling on: <c>HIP_PROFILE=1</c>, see <see cref="Gpu"/>).
/// A diagnostic: a step is timed from <see cref="BeginStep"/> to its last launch; each label gets the time from the
/// previous marker to its own, so a launch without a label is counted in the next labelled one.
/// </summary>
public sealed class LaunchProfile
{
    private readonly AcceleratorStream _stream;
    private readonly List<(string Label, ProfilingMarker Marker)> _marks = [];
    private bool _active;
    private int _steps;

    internal LaunchProfile(AcceleratorStream stream) => _stream = stream;

    /// <summary>The environment variable that turns profiling on (value 1).</summary>
    public const string Variable = "HIP_PROFILE";

    internal static bool Requested => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>Starts recording one step: a baseline marker, then one per labelled launch until <see cref="EndStep"/>.</summary>
    public void BeginStep()
    {
        _active = true;
        _steps++;
        _marks.Add(("", _stream.AddProfilingMarker()));
    }

    public void EndStep() => _active = false;

    /// <summary>Records again after <see cref="EndStep"/>: the step's sampling launches, timed from its last marker.</summary>
    public void Resume() => _active = _steps > 0;

    internal void Mark(string label)
    {
        if (_active)
            _marks.Add((label, _stream.AddProfilingMarker()));
    }

    internal bool Active => _active;

    /// <summary>Waits for the stream, then per label: milliseconds and launches per step, largest first; clears the record.</summary>
    public IReadOnlyList<(string Label, double MsPerStep, double LaunchesPerStep)> Collect()
    {
        _stream.Synchronize();
        var totals = new Dictionary<string, (double Ms, int Count)>();
        for (int i = 1; i < _marks.Count; i++)
        {
            if (_marks[i].Label.Length == 0)
                continue;   // a step's baseline
            double ms = _marks[i].Marker.MeasureFrom(_marks[i - 1].Marker).TotalMilliseconds;
            totals.TryGetValue(_marks[i].Label, out var t);
            totals[_marks[i].Label] = (t.Ms + ms, t.Count + 1);
        }
        int steps = Math.Max(1, _steps);
        foreach (var (_, marker) in _marks)
            marker.Dispose();
        _marks.Clear();
        _steps = 0;
        return totals.Select(kv => (kv.Key, kv.Value.Ms / steps, (double)kv.Value.Count / steps))
            .OrderByDescending(r => r.Item2).ToList();
    }
}
