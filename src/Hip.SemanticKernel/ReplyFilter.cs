using Hip.Inference;

namespace Hip.SemanticKernel;

/// <summary>
/// Decides which generated text reaches the caller as text. Free text passes through the stop strings; a JSON
/// document passes as is; tool-call text never passes: it is held while the reply may still become a call (the
/// start of a trigger), and dropped once the constraint entered the calls.
/// </summary>
internal sealed class ReplyFilter
{
    private readonly ResponseKind _kind;
    private readonly GrammarConstraint? _constraint;
    private readonly StopSequenceMatcher _stops;
    private readonly StopSequenceMatcher? _trigger;    // text before a trigger that may come after text (Hermes)
    private readonly System.Text.StringBuilder _held = new();   // text not yet given out

    public ReplyFilter(ResponseKind kind, GrammarConstraint? constraint, ToolCallFormat format, IReadOnlyList<string> stops)
    {
        (_kind, _constraint) = (kind, constraint);
        _stops = new StopSequenceMatcher(kind is ResponseKind.Text or ResponseKind.CallsOrText ? stops : []);
        if (kind == ResponseKind.CallsOrText && format.AutoTextMode == GrammarTextMode.Before)
            _trigger = new StopSequenceMatcher([format.Trigger]);
    }

    /// <summary>True once a stop string ended the text.</summary>
    public bool Stopped => _stops.Stopped;

    /// <summary>Everything held back so far (a tool-call-or-document reply is held whole until it is known which it is).</summary>
    public string Held => _held.ToString();

    /// <summary>Takes the text of one token (the constraint has already seen the token) and returns what the caller may see now.</summary>
    public string Append(string delta)
    {
        switch (_kind)
        {
            case ResponseKind.Text:
                return _stops.Append(delta);
            case ResponseKind.Document:
                return delta;
            case ResponseKind.Calls or ResponseKind.CallsOrDocument:
                _held.Append(delta);
                return "";
        }
        // tool calls or text
        if (_trigger is not null)
        {
            string before = _trigger.Append(delta);
            if (_constraint!.StartedGrammar)
                return _trigger.Stopped ? _stops.Append(before) : "";   // a trigger that is a special token writes no text
            return _stops.Append(before);
        }
        if (_constraint!.StartedGrammar)
        {
            _held.Clear();
            return "";
        }
        _held.Append(delta);
        if (_constraint.Phase == GrammarPhase.Pending)
            return "";
        string text = _held.ToString();
        _held.Clear();
        return _stops.Append(text);
    }

    /// <summary>The text still held back as text at the end (none inside tool calls).</summary>
    public string Flush()
    {
        switch (_kind)
        {
            case ResponseKind.Text:
                return _stops.Flush();
            case ResponseKind.Document or ResponseKind.Calls or ResponseKind.CallsOrDocument:
                return "";
        }
        if (_constraint!.StartedGrammar)
            return "";
        string rest = _trigger is not null ? _trigger.Flush() : _held.ToString();
        _held.Clear();
        return _stops.Append(rest) + _stops.Flush();
    }
}
