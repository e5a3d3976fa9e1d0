using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Hip.Inference;

/// <summary>
/// Splits text into words before byte-level BPE, the way llama.cpp does for each tokenizer.ggml.pre (REAL-MODELS.md §2):
/// a hand-written matcher over code points (so letters outside the BMP are letters, not surrogates), where text
/// between matches stays a piece of its own. Returns (offset, length) in chars.
/// </summary>
internal sealed class ByteLevelPreTokenizer : PreTokenizer
{
    /// <summary>The split rules a pre-tokenizer name stands for.</summary>
    public enum Rules
    {
        /// <summary>llama-bpe: contractions (any case), [^\r\n\p{L}\p{N}]?\p{L}+, \p{N}{1,3}, punctuation runs, newlines, spaces.</summary>
        Llama3,
        /// <summary>qwen2: as <see cref="Llama3"/> but one digit per piece.</summary>
        Qwen2,
        /// <summary>gpt-2: lower-case contractions, ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+', spaces.</summary>
        Gpt2,
        /// <summary>smollm / starcoder: every digit alone, then the <see cref="Gpt2"/> rules inside each piece.</summary>
        StarCoder,
    }

    private static readonly Dictionary<string, Rules> s_byName = new(StringComparer.Ordinal)
    {
        ["llama-bpe"] = Rules.Llama3, ["llama3"] = Rules.Llama3, ["falcon3"] = Rules.Llama3, ["pixtral"] = Rules.Llama3,
        ["qwen2"] = Rules.Qwen2, ["deepseek-r1-qwen"] = Rules.Qwen2,
        ["smollm"] = Rules.StarCoder, ["starcoder"] = Rules.StarCoder, ["refact"] = Rules.StarCoder, ["command-r"] = Rules.StarCoder,
        ["gpt-2"] = Rules.Gpt2, ["mpt"] = Rules.Gpt2, ["olmo"] = Rules.Gpt2, ["phi-2"] = Rules.Gpt2,
    };

    private readonly Rules _rules;

    public ByteLevelPreTokenizer(Rules rules) => _rules = rules;

    /// <summary>The tokenizer.ggml.pre values this splitter knows.</summary>
    public static IEnumerable<string> KnownNames => s_byName.Keys;

    /// <summary>The rules for a tokenizer.ggml.pre value, or null when unknown.</summary>
    public static Rules? Resolve(string name) => s_byName.TryGetValue(name, out var rules) ? rules : null;

    /// <summary>Whether a whole word that is a vocabulary entry is taken as is, before merges (llama.cpp ignore_merges).</summary>
    public bool IgnoresMerges => _rules == Rules.Llama3;

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) =>
        text is null ? [] : Split(text.AsSpan());

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text);

    /// <summary>The pieces of <paramref name="text"/>, in order, covering it completely.</summary>
    public List<(int Offset, int Length)> Split(ReadOnlySpan<char> text)
    {
        // code points with their char offsets; offsets[count] = text.Length
        var runes = new List<Rune>(text.Length);
        var offsets = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length;)
        {
            Rune.DecodeFromUtf16(text[i..], out var rune, out int used);
            runes.Add(rune);
            offsets.Add(i);
            i += used;
        }
        offsets.Add(text.Length);

        var pieces = new List<(int Start, int End)>();   // in code points
        if (_rules == Rules.StarCoder)
        {
            // \p{N}: each digit alone, the text between stays a piece; then the GPT-2 rules inside each piece
            int start = 0;
            for (int i = 0; i < runes.Count; i++)
            {
                if (!IsNumber(runes[i]))
                    continue;
                if (i > start)
                    SplitGpt2(runes, start, i, pieces);
                pieces.Add((i, i + 1));
                start = i + 1;
            }
            if (start < runes.Count)
                SplitGpt2(runes, start, runes.Count, pieces);
        }
        else if (_rules == Rules.Gpt2)
        {
            SplitGpt2(runes, 0, runes.Count, pieces);
        }
        else
        {
            SplitLlama3(runes, 0, runes.Count, _rules == Rules.Qwen2 ? 1 : 3, pieces);
        }
        return pieces.ConvertAll(p => (offsets[p.Start], offsets[p.End] - offsets[p.Start]));
    }

    /// <summary>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</summary>
    private static void SplitLlama3(List<Rune> runes, int begin, int end, int maxDigits, List<(int, int)> pieces)
    {
        bool InRange(int p) => p >= begin && p < end;
        bool Letter(int p) => InRange(p) && IsLetter(runes[p]);
        bool Number(int p) => InRange(p) && IsNumber(runes[p]);
        bool Space(int p) => InRange(p) && Rune.IsWhiteSpace(runes[p]);
        bool NewLine(int p) => InRange(p) && runes[p].Value is '\r' or '\n';
        bool Other(int p) => InRange(p) && !Rune.IsWhiteSpace(runes[p]) && !IsLetter(runes[p]) && !IsNumber(runes[p]);
        int Lower(int p) => InRange(p) ? Rune.ToLowerInvariant(runes[p]).Value : -1;

        int pos = begin;
        void Add(int to) { if (to > pos) pieces.Add((pos, to)); pos = to; }

        while (pos < end)
        {
            int c = runes[pos].Value;
            // contractions, any case
            if (c == '\'' && pos + 1 < end)
            {
                int next = Lower(pos + 1);
                if (next is 's' or 't' or 'm' or 'd') { Add(pos + 2); continue; }
                int after = Lower(pos + 2);
                if ((next, after) is ('r', 'e') or ('v', 'e') or ('l', 'l')) { Add(pos + 3); continue; }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (!(c is '\r' or '\n' || IsNumber(runes[pos])) && (Letter(pos) || Letter(pos + 1)))
            {
                int p = pos + 1;
                while (Letter(p)) p++;
                Add(p);
                continue;
            }
            // \p{N}{1,maxDigits}
            if (Number(pos))
            {
                int p = pos;
                while (Number(p) && p - pos < maxDigits) p++;
                Add(p);
                continue;
            }
            // ' '?[^\s\p{L}\p{N}]+[\r\n]*
            int q = c == ' ' ? pos + 1 : pos;
            if (Other(q))
            {
                while (Other(q)) q++;
                while (NewLine(q)) q++;
                Add(q);
                continue;
            }
            // \s*[\r\n]+ | \s+(?!\S) | \s+
            int spaces = 0, lastNewLineEnd = 0;
            while (Space(pos + spaces))
            {
                if (NewLine(pos + spaces))
                    lastNewLineEnd = pos + spaces + 1;
                spaces++;
            }
            if (lastNewLineEnd > 0) { Add(lastNewLineEnd); continue; }
            if (spaces > 1 && pos + spaces < end) { Add(pos + spaces - 1); continue; }
            if (spaces > 0) { Add(pos + spaces); continue; }
            Add(pos + 1);
        }
    }

    /// <summary>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</summary>
    private static void SplitGpt2(List<Rune> runes, int begin, int end, List<(int, int)> pieces)
    {
        bool InRange(int p) => p >= begin && p < end;
        bool Letter(int p) => InRange(p) && IsLetter(runes[p]);
        bool Number(int p) => InRange(p) && IsNumber(runes[p]);
        bool Space(int p) => InRange(p) && Rune.IsWhiteSpace(runes[p]);
        bool Other(int p) => InRange(p) && !Rune.IsWhiteSpace(runes[p]) && !IsLetter(runes[p]) && !IsNumber(runes[p]);
        int At(int p) => InRange(p) ? runes[p].Value : -1;

        int pos = begin;
        void Add(int to) { if (to > pos) pieces.Add((pos, to)); pos = to; }

        while (pos < end)
        {
            int c = runes[pos].Value;
            if (c == '\'' && pos + 1 < end)
            {
                int next = At(pos + 1);
                if (next is 's' or 't' or 'm' or 'd') { Add(pos + 2); continue; }
                if ((next, At(pos + 2)) is ('r', 'e') or ('v', 'e') or ('l', 'l')) { Add(pos + 3); continue; }
            }
            int q = c == ' ' ? pos + 1 : pos;
            Func<int, bool>? run = Letter(q) ? Letter : Number(q) ? Number : Other(q) ? Other : null;
            if (run is not null)
            {
                while (run(q)) q++;
                Add(q);
                continue;
            }
            int spaces = 0;
            while (Space(pos + spaces))
                spaces++;
            if (spaces > 1 && pos + spaces < end) { Add(pos + spaces - 1); continue; }
            if (spaces > 0) { Add(pos + spaces); continue; }
            Add(pos + 1);
        }
    }

    private static bool IsLetter(Rune rune) => Rune.GetUnicodeCategory(rune) <= UnicodeCategory.OtherLetter;

    private static bool IsNumber(Rune rune) => Rune.GetUnicodeCategory(rune) is UnicodeCategory.DecimalDigitNumber
        or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
}
