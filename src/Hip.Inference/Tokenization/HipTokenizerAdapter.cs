using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Hip.Inference;

/// <summary>
/// A <see cref="HipTokenizer"/> seen as a Microsoft.ML.Tokenizers <see cref="Tokenizer"/> (for hosts that ask for one):
/// the same ids (no BOS, no control tokens), and offsets found by walking each token's bytes along the text, so they
/// are exact except where SentencePiece's remove_extra_whitespaces dropped spaces.
/// </summary>
internal sealed class HipTokenizerAdapter(HipTokenizer tokenizer) : Tokenizer
{
    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        string source = text ?? textSpan.ToString();
        var ids = tokenizer.Encode(source, addBos: false);
        int take = settings.MaxTokenCount > 0 ? Math.Min(settings.MaxTokenCount, ids.Count) : ids.Count;
        var vocabulary = tokenizer.Vocabulary;

        // char offset of every UTF-8 byte of the text
        byte[] utf8 = Encoding.UTF8.GetBytes(source);
        var charAt = new int[utf8.Length + 1];
        for (int c = 0, b = 0; c < source.Length; c++)
        {
            int bytes = char.IsHighSurrogate(source[c]) && c + 1 < source.Length && char.IsLowSurrogate(source[c + 1])
                ? 4 : Encoding.UTF8.GetByteCount(source.AsSpan(c, 1));
            for (int k = 0; k < bytes && b < utf8.Length; k++)
                charAt[b++] = c;
            if (bytes == 4)
                c++;
        }
        charAt[utf8.Length] = source.Length;

        var tokens = new List<EncodedToken>(take);
        int cursor = 0;   // in bytes
        for (int i = 0; i < take; i++)
        {
            int id = ids[i];
            var piece = vocabulary.GetBytes(id);
            int length = piece.Length;
            if (vocabulary.AddSpacePrefix && length > 0 && piece[0] == (byte)' ' && (cursor >= utf8.Length || utf8[cursor] != (byte)' '))
                length--;   // the space the encoder put in front
            int start = Math.Min(cursor, utf8.Length), end = Math.Min(cursor + length, utf8.Length);
            tokens.Add(new EncodedToken(id, vocabulary.GetPiece(id), new Range(charAt[start], charAt[end])));
            cursor = end;
        }
        return new EncodeResults<EncodedToken>
        {
            Tokens = tokens,
            NormalizedText = null,
            CharsConsumed = take == ids.Count ? source.Length : charAt[Math.Min(cursor, utf8.Length)],
        };
    }

    public override string Decode(IEnumerable<int> ids) => tokenizer.Decode(ids);

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var list = ids as IReadOnlyList<int> ?? ids.ToList();
        string text = tokenizer.Decode(list);
        if (text.Length <= destination.Length)
        {
            text.CopyTo(destination);
            (idsConsumed, charsWritten) = (list.Count, text.Length);
            return OperationStatus.Done;
        }
        // the longest prefix of ids whose text fits
        int consumed = 0;
        string fits = "";
        for (int n = 1; n <= list.Count; n++)
        {
            string prefix = tokenizer.Decode(list.Take(n));
            if (prefix.Length > destination.Length)
                break;
            (consumed, fits) = (n, prefix);
        }
        fits.CopyTo(destination);
        (idsConsumed, charsWritten) = (consumed, fits.Length);
        return OperationStatus.DestinationTooSmall;
    }
}
