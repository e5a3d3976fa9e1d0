namespace Hip.SemanticKernel;

/// <summary>
/// Finds stop strings in streamed text. It passes text through, holding back any tail that could still become a stop
/// string, and cuts the text where a stop string begins (the stop itself is never returned).
/// </summary>
internal sealed class StopSequenceMatcher(IReadOnlyList<string> stops)
{
    private string _pending = "";   // text not yet returned: a possible start of a stop string

    /// <summary>True once a stop string was found; later text is dropped.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds a text delta and returns the text that can no longer be part of a stop string.</summary>
    public string Append(string delta)
    {
        if (Stopped || delta.Length == 0)
            return "";
        if (stops.Count == 0)
            return delta;
        _pending += delta;
        int cut = -1;
        foreach (var stop in stops)
        {
            int at = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut))
                cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            string before = _pending[..cut];
            _pending = "";
            return before;
        }
        int hold = 0;
        foreach (var stop in stops)
            for (int length = Math.Min(stop.Length - 1, _pending.Length); length > hold; length--)
                if (_pending.AsSpan(_pending.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    hold = length;
                    break;
                }
        string ready = _pending[..^hold];
        _pending = _pending[^hold..];
        return ready;
    }

    /// <summary>The text still held back (none after a stop): the stream ended without completing a stop string.</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _pending;
        _pending = "";
        return rest;
    }
}
