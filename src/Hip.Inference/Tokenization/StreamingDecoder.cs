namespace Hip.Inference;

/// <summary>
/// Turns generated token ids into text deltas, one call per token, so that the concatenated deltas equal
/// decode(prompt + generated) minus decode(prompt). A delta that would end inside an incomplete UTF-8 sequence
/// (byte-fallback tokens) is held back until the sequence completes or <see cref="Flush"/> is called.
/// </summary>
/// <remarks>
/// Each step decodes only a short window: ids[_windowStart..] against ids[_windowStart.._emitted], where the window
/// starts at an ordinary text token just before the emitted point. The tokenizer drops the leading space of the first
/// text token it decodes and merges runs of byte tokens into UTF-8; starting both decodes at the same text token makes
/// both effects identical, so the difference of the two decodes is exactly the new text.
/// </remarks>
public sealed class StreamingDecoder
{
    private const int ContextTokens = 2;     // text tokens kept before the emitted point
    private const int MaxLookBack = 32;      // stop looking for more context this far back once one text token is found

    private readonly HipTokenizer _tokenizer;
    private readonly List<int> _ids;         // prompt + generated
    private int _windowStart;                // first id of the decode window
    private int _emitted;                    // ids before this index have given all their text (the prompt gives none)
    private string _windowText;              // decode(ids[_windowStart.._emitted])

    /// <summary>Starts after <paramref name="promptIds"/> (which give no output themselves).</summary>
    public StreamingDecoder(HipTokenizer tokenizer, IEnumerable<int> promptIds)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(promptIds);
        _tokenizer = tokenizer;
        _ids = [.. promptIds];
        _windowText = MoveWindow(windowText: null);
    }

    /// <summary>Adds one generated id and returns the text it completes (possibly empty).</summary>
    public string Append(int id)
    {
        _ids.Add(id);
        string text = DecodeWindow(_ids.Count);
        if (text.Length > 0 && text[^1] == '\uFFFD')
            return string.Empty;   // an incomplete UTF-8 sequence: wait for the rest of its bytes
        string delta = Difference(text);
        _windowText = MoveWindow(text);
        return delta;
    }

    /// <summary>Returns the text still held back (an incomplete UTF-8 sequence comes out as U+FFFD).</summary>
    public string Flush()
    {
        if (_emitted == _ids.Count)
            return string.Empty;
        string text = DecodeWindow(_ids.Count);
        string delta = Difference(text);
        _windowText = MoveWindow(text);
        return delta;
    }

    private string DecodeWindow(int end) => _tokenizer.Decode(_ids.GetRange(_windowStart, end - _windowStart));

    private string Difference(string text)
    {
        if (text.StartsWith(_windowText, StringComparison.Ordinal))
            return text[_windowText.Length..];
        // the text before the emitted point changed (a prompt that ends inside a UTF-8 sequence): skip the common part
        int common = 0;
        while (common < text.Length && common < _windowText.Length && text[common] == _windowText[common])
            common++;
        return text[common..];
    }

    /// <summary>
    /// Marks every id as emitted and moves the window start to a text token shortly before the end (to 0 while there is
    /// none); returns the window's text, reusing <paramref name="windowText"/> (the text from the old start) if the start stays.
    /// </summary>
    private string MoveWindow(string? windowText)
    {
        _emitted = _ids.Count;
        int start = 0, textTokens = 0;
        for (int i = _emitted - 1; i >= 0; i--)
        {
            if (!_tokenizer.IsTextToken(_ids[i]))
                continue;
            start = i;
            if (++textTokens == ContextTokens || _emitted - i >= MaxLookBack)
                break;
        }
        if (start == _windowStart && windowText is not null)
            return windowText;
        _windowStart = start;
        return DecodeWindow(_emitted);
    }
}
