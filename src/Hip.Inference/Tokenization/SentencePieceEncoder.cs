using System.Text;

namespace Hip.Inference;

/// <summary>
/// SentencePiece BPE as llama.cpp runs it (llm_tokenizer_spm): characters as symbols, then repeatedly merge the
/// adjacent pair whose concatenation is a vocabulary piece with the highest score, on equal scores the leftmost pair
/// (Microsoft.ML.Tokenizers takes the rightmost: REAL-MODELS.md §2); symbols that are not pieces become &lt;0xNN&gt; byte
/// tokens of their UTF-8.
/// </summary>
internal sealed class SentencePieceEncoder(Vocabulary vocabulary)
{
    private readonly int[] _byteIds = BuildByteIds(vocabulary);   // [256] the byte-fallback token of each byte, -1 if none

    /// <summary>Appends the ids of <paramref name="text"/> (already normalized: spaces as '▁', prefix added) to <paramref name="output"/>.</summary>
    public void Encode(string text, List<int> output)
    {
        if (text.Length == 0)
            return;

        // symbols: one per character (a surrogate pair is one), as a doubly linked list over char ranges
        var symbols = new Symbol[text.Length];
        int count = 0;
        for (int offset = 0; offset < text.Length;)
        {
            int length = char.IsHighSurrogate(text[offset]) && offset + 1 < text.Length && char.IsLowSurrogate(text[offset + 1]) ? 2 : 1;
            symbols[count] = new Symbol(offset, length, count - 1, offset + length == text.Length ? -1 : count + 1);
            count++;
            offset += length;
        }

        // highest score first, then the leftmost pair
        var queue = new PriorityQueue<(int Left, int Right, int Length), (float Score, int Left)>(
            Comparer<(float Score, int Left)>.Create((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left)));
        void TryAddPair(int left, int right)
        {
            if (left < 0 || right < 0)
                return;
            int length = symbols[left].Length + symbols[right].Length;
            if (vocabulary.TryGetId(text.AsSpan(symbols[left].Offset, length), out int id))
                queue.Enqueue((left, right, length), (vocabulary.GetScore(id), left));
        }
        for (int i = 1; i < count; i++)
            TryAddPair(i - 1, i);

        while (queue.TryDequeue(out var pair, out _))
        {
            ref var left = ref symbols[pair.Left];
            ref var right = ref symbols[pair.Right];
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != pair.Length)
                continue;   // one side was merged since this pair was queued
            left.Length = pair.Length;
            left.Next = right.Next;
            right.Length = 0;
            if (left.Next >= 0)
                symbols[left.Next].Previous = pair.Left;
            TryAddPair(left.Previous, pair.Left);
            TryAddPair(pair.Left, left.Next);
        }

        Span<byte> utf8 = stackalloc byte[8];
        for (int i = 0; i != -1; i = symbols[i].Next)
        {
            var symbol = symbols[i];
            var piece = text.AsSpan(symbol.Offset, symbol.Length);
            if (vocabulary.TryGetId(piece, out int id))
            {
                output.Add(id);
                continue;
            }
            // an unmerged symbol is one character: at most 4 UTF-8 bytes
            int bytes = Encoding.UTF8.GetBytes(piece, utf8);
            foreach (byte b in utf8[..bytes])
                output.Add(_byteIds[b] >= 0 ? _byteIds[b]
                    : vocabulary.UnknownId >= 0 ? vocabulary.UnknownId
                    : throw new InvalidDataException($"{vocabulary.Source}: the vocabulary has no byte token <0x{b:X2}> and no unknown token for text it cannot spell."));
        }
    }

    private record struct Symbol(int Offset, int Length, int Previous, int Next);

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
