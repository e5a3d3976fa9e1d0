using System.Text;

namespace Hip.Inference;

/// <summary>
/// SentencePiece BPE as llama.cpp runs it (llm_tokenizer_spm): UTF-8 characters as symbols, then repeatedly merge the
/// adjacent pair whose concatenation is a vocabulary piece with the highest score, on equal scores the leftmost pair
/// (Microsoft.ML.Tokenizers takes the rightmost: REAL-MODELS.md §2); symbols that are not pieces become &lt;0xNN&gt; byte tokens.
/// </summary>
internal sealed class SentencePieceEncoder(Vocabulary vocabulary)
{
    private readonly int[] _byteIds = BuildByteIds(vocabulary);   // [256] the byte-fallback token of each byte, -1 if none

    /// <summary>Appends the ids of <paramref name="text"/> (already normalized: spaces as '▁', prefix added) to <paramref name="output"/>.</summary>
    public void Encode(string text, List<int> output)
    {
        if (text.Length == 0)
            return;
        byte[] utf8 = Encoding.UTF8.GetBytes(text);

        // symbols: one per UTF-8 character, as a doubly linked list over byte ranges
        var symbols = new List<Symbol>(utf8.Length);
        for (int offset = 0; offset < utf8.Length;)
        {
            int length = Math.Min(Utf8SequenceLength(utf8[offset]), utf8.Length - offset);
            symbols.Add(new Symbol(offset, length, symbols.Count - 1, offset + length == utf8.Length ? -1 : symbols.Count + 1));
            offset += length;
        }

        // highest score first, then the leftmost pair
        var queue = new PriorityQueue<(int Left, int Right, int Length), (float Score, int Left)>(
            Comparer<(float Score, int Left)>.Create((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left)));
        void TryAddPair(int left, int right)
        {
            if (left < 0 || right < 0)
                return;
            var (l, r) = (symbols[left], symbols[right]);
            string joined = Encoding.UTF8.GetString(utf8, l.Offset, l.Length + r.Length);
            if (vocabulary.TryGetId(joined, out int id))
                queue.Enqueue((left, right, l.Length + r.Length), (vocabulary.GetScore(id), left));
        }
        for (int i = 1; i < symbols.Count; i++)
            TryAddPair(i - 1, i);

        while (queue.TryDequeue(out var pair, out _))
        {
            var (left, right) = (symbols[pair.Left], symbols[pair.Right]);
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != pair.Length)
                continue;   // one side was merged since this pair was queued
            symbols[pair.Left] = left with { Length = pair.Length, Next = right.Next };
            symbols[pair.Right] = right with { Length = 0 };
            if (right.Next >= 0)
                symbols[right.Next] = symbols[right.Next] with { Previous = pair.Left };
            TryAddPair(left.Previous, pair.Left);
            TryAddPair(pair.Left, right.Next);
        }

        for (int i = 0; i != -1; i = symbols[i].Next)
        {
            var symbol = symbols[i];
            if (vocabulary.TryGetId(Encoding.UTF8.GetString(utf8, symbol.Offset, symbol.Length), out int id))
            {
                output.Add(id);
                continue;
            }
            for (int b = symbol.Offset; b < symbol.Offset + symbol.Length; b++)
                output.Add(_byteIds[utf8[b]] >= 0 ? _byteIds[utf8[b]]
                    : vocabulary.UnknownId >= 0 ? vocabulary.UnknownId
                    : throw new InvalidDataException($"{vocabulary.Source}: the vocabulary has no byte token <0x{utf8[b]:X2}> and no unknown token for text it cannot spell."));
        }
    }

    private readonly record struct Symbol(int Offset, int Length, int Previous, int Next);

    private static int Utf8SequenceLength(byte lead) => lead switch
    {
        < 0x80 => 1,
        >= 0xF0 => 4,
        >= 0xE0 => 3,
        >= 0xC0 => 2,
        _ => 1,
    };

    private static int[] BuildByteIds(Vocabulary vocabulary)
    {
        var ids = new int[256];
        for (int b = 0; b < 256; b++)
        {
            // llama.cpp byte_to_token: <0xNN>, else the byte as a one-character piece
            if (vocabulary.TryGetId($"<0x{b:X2}>", out int id) || (b < 0x80 && vocabulary.TryGetId(((char)b).ToString(), out id)))
                ids[b] = id;
            else
                ids[b] = -1;
        }
        return ids;
    }
}
