using ILGPU.Runtime;

namespace Hip.Kernels;

/// <summary>
/// GPU time per launch label of eager decode steps and prefill chunks, from events recorded on the stream between
/// launches (ILGPU profiling markers; the context must be created with profiling on: <c>HIP_PROFILE=1</c>, see
/// <see cref="Gpu"/>). A diagnostic: a step is timed from <see cref="BeginStep"/> to its last launch; each label gets the
/// time from the previous marker to its own, so a launch without a label is counted in the next labelled one. Each
/// phase ("decode", "prefill") is averaged over its own steps; labels of phases other than decode carry the phase.
/// </summary>
public sealed class LaunchProfile
{
    private readonly AcceleratorStream _stream;
    private readonly List<(string Phase, string Label, ProfilingMarker Marker)> _marks = [];
    private readonly Dictionary<string, int> _steps = [];
    private string _phase = Decode;
    private bool _active;

    /// <summary>The phase of a decode step (its labels are reported bare).</summary>
    public const string Decode = "decode";

    /// <summary>The phase of a prefill chunk.</summary>
    public const string Prefill = "prefill";

    internal LaunchProfile(AcceleratorStream stream) => _stream = stream;

    /// <summary>The environment variable that turns profiling on (value 1).</summary>
    public const string Variable = "HIP_PROFILE";

    internal static bool Requested => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>Starts recording one step of <paramref name="phase"/>: a baseline marker, then one per labelled launch until <see cref="EndStep"/>.</summary>
    public void BeginStep(string phase = Decode)
    {
        _active = true;
        _phase = phase;
        _steps[phase] = _steps.GetValueOrDefault(phase) + 1;
        _marks.Add((phase, "", _stream.AddProfilingMarker()));
    }

    public void EndStep() => _active = false;

    /// <summary>Records again after <see cref="EndStep"/>: the step's sampling launches, timed from its last marker.</summary>
    public void Resume() => _active = _steps.Count > 0;

    internal void Mark(string label)
    {
        if (_active)
            _marks.Add((_phase, label, _stream.AddProfilingMarker()));
    }

    internal bool Active => _active;

    /// <summary>
    /// Waits for the stream, then per (phase, label): milliseconds and launches per step of that phase, largest first;
    /// clears the record. Labels of phases other than decode read "phase: label".
    /// </summary>
    public IReadOnlyList<(string Label, double MsPerStep, double LaunchesPerStep)> Collect()
    {
        _stream.Synchronize();
        var totals = new Dictionary<(string Phase, string Label), (double Ms, int Count)>();
        for (int i = 1; i < _marks.Count; i++)
        {
            var (phase, label, marker) = _marks[i];
            if (label.Length == 0)
                continue;   // a step's baseline
            double ms = marker.MeasureFrom(_marks[i - 1].Marker).TotalMilliseconds;
            totals.TryGetValue((phase, label), out var t);
            totals[(phase, label)] = (t.Ms + ms, t.Count + 1);
        }
        var rows = totals.Select(kv =>
        {
            int steps = Math.Max(1, _steps.GetValueOrDefault(kv.Key.Phase));
            string label = kv.Key.Phase == Decode ? kv.Key.Label : $"{kv.Key.Phase}: {kv.Key.Label}";
            return (label, kv.Value.Ms / steps, (double)kv.Value.Count / steps);
        }).OrderByDescending(r => r.Item2).ToList();
        foreach (var (_, _, marker) in _marks)
            marker.Dispose();
        _marks.Clear();
        _steps.Clear();
        return rows;
    }
}
