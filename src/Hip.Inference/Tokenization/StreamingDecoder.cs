using System.Text;

namespace Hip.Inference;

/// <summary>
/// Turns generated token ids into text deltas, one call per token, so that the concatenated deltas equal
/// decode(prompt + generated) minus decode(prompt). It works on bytes: a byte-level or byte-fallback token can end
/// inside a UTF-8 sequence, and those bytes wait (in a stateful UTF-8 decoder) until the sequence completes or
/// <see cref="Flush"/> is called. A delta never ends in U+FFFD: a replacement character waits for the next delta.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly Vocabulary _vocabulary;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetDecoder();
    private readonly char[] _chars = new char[64];
    private string _pending = "";   // text held back because it ends in U+FFFD
    private bool _firstText;        // the next text token is the sequence's first: it loses the prefix space, as in Decode

    /// <summary>Starts after <paramref name="promptIds"/> (which give no output themselves).</summary>
    public StreamingDecoder(HipTokenizer tokenizer, IEnumerable<int> promptIds)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(promptIds);
        _vocabulary = tokenizer.Vocabulary;
        _firstText = _vocabulary.AddSpacePrefix;
        foreach (int id in promptIds)
            Feed(id);   // keeps a UTF-8 sequence the prompt leaves open
    }

    /// <summary>Adds one generated id and returns the text it completes (possibly empty).</summary>
    public string Append(int id)
    {
        string text = _pending + Feed(id);
        if (text.Length > 0 && text[^1] == '\uFFFD')
        {
            _pending = text;   // wait: an invalid byte sequence reads better joined with what follows
            return string.Empty;
        }
        _pending = "";
        return text;
    }

    /// <summary>Returns the text still held back (an incomplete UTF-8 sequence comes out as U+FFFD).</summary>
    public string Flush()
    {
        int count = _utf8.GetChars([], _chars, flush: true);
        string text = _pending + new string(_chars, 0, count);
        _pending = "";
        return text;
    }

    /// <summary>Decodes the bytes of <paramref name="id"/>, keeping an incomplete UTF-8 sequence for later.</summary>
    private string Feed(int id)
    {
        if (_vocabulary.IsSpecial(id))
            return "";
        var bytes = _vocabulary.GetBytes(id);
        if (_firstText && bytes.Length > 0 && bytes[0] == (byte)' ')
            bytes = bytes[1..];
        _firstText = false;
        int needed = _utf8.GetCharCount(bytes, flush: false);
        var chars = needed <= _chars.Length ? _chars : new char[needed];
        int count = _utf8.GetChars(bytes, chars, flush: false);
        return new string(chars, 0, count);
    }
}
