using System.Diagnostics;

/// <summary>
/// A one-line progress bar on stderr, redrawn in place with '\r' at most ten times a second; when stderr is redirected
/// (a log, a test) only the finished line is written. Safe to report from another thread.
/// </summary>
internal sealed class ProgressBar(string label, int total, string unit) : IProgress<int>
{
    private const int Width = 30;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly bool _live = !Console.IsErrorRedirected;
    private readonly Lock _gate = new();
    private TimeSpan _lastDraw = -RedrawInterval;
    private int _lastLength;
    private int _done;
    private string _detail = "";

    public TimeSpan Elapsed => _watch.Elapsed;

    /// <summary>Sets how many of the total are done.</summary>
    public void Report(int done) => Report(done, _detail);

    /// <summary>Sets how many are done and the text after the bar (a token count, a rate).</summary>
    public void Report(int done, string detail)
    {
        lock (_gate)
        {
            (_done, _detail) = (done, detail);
            if (_live && _watch.Elapsed - _lastDraw >= RedrawInterval)
            {
                _lastDraw = _watch.Elapsed;
                Draw("\r");
            }
        }
    }

    /// <summary>Draws the full bar with <paramref name="summary"/> and ends the line.</summary>
    public void Finish(string summary)
    {
        lock (_gate)
        {
            (_done, _detail) = (total, summary);
            Draw(_live ? "\r" : "");
            Console.Error.WriteLine();
        }
    }

    private void Draw(string start)
    {
        int filled = total <= 0 ? Width : (int)((long)Width * Math.Clamp(_done, 0, total) / total);
        string line = $"{label,-8} [{new string('#', filled)}{new string('.', Width - filled)}] {_done:N0}/{total:N0} {unit}  {_detail}";
        Console.Error.Write(start + line.PadRight(_lastLength));   // spaces wipe what a longer line left
        _lastLength = line.Length;
    }
}
