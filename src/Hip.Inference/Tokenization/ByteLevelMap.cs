namespace Hip.Inference;

/// <summary>
/// GPT-2's byte ↔ character map (REAL-MODELS.md §2): printable bytes map to the same code point, the other 68 bytes,
/// in increasing order, to U+0100, U+0101, …; byte-level BPE vocabularies spell every token with these characters.
/// </summary>
internal static class ByteLevelMap
{
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> s_charToByte = BuildCharToByte();

    /// <summary>The character that stands for <paramref name="value"/>.</summary>
    public static char ToChar(byte value) => s_byteToChar[value];

    /// <summary>The byte a vocabulary character stands for, if it is one of the 256.</summary>
    public static bool TryGetByte(char c, out byte value) => s_charToByte.TryGetValue(c, out value);

    /// <summary>The vocabulary spelling of <paramref name="text"/>'s UTF-8 bytes.</summary>
    public static string Encode(ReadOnlySpan<char> text)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text.ToArray());
        return string.Create(bytes.Length, bytes, static (chars, b) =>
        {
            for (int i = 0; i < b.Length; i++)
                chars[i] = s_byteToChar[b[i]];
        });
    }

    /// <summary>The bytes a vocabulary piece stands for; a character outside the map keeps its own UTF-8.</summary>
    public static byte[] Decode(string piece)
    {
        var bytes = new List<byte>(piece.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in piece.EnumerateRunes())
        {
            if (rune.IsBmp && s_charToByte.TryGetValue((char)rune.Value, out byte b))
            {
                bytes.Add(b);
            }
            else
            {
                int n = rune.EncodeToUtf8(utf8);
                for (int i = 0; i < n; i++)
                    bytes.Add(utf8[i]);
            }
        }
        return [.. bytes];
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 0x100;
        for (int b = 0; b < 256; b++)
            map[b] = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF ? (char)b : (char)next++;
        return map;
    }

    private static Dictionary<char, byte> BuildCharToByte()
    {
        var map = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++)
            map[s_byteToChar[b]] = (byte)b;
        return map;
    }
}
