namespace Hip.Inference;

/// <summary>UTF-8 well-formedness (RFC 3629 table 3-7): the allowed range of the byte after each lead byte.</summary>
internal static class Utf8
{
    /// <summary>Bytes in the sequence <paramref name="lead"/> starts (1 for ASCII), or 0 for a byte that cannot start one.</summary>
    public static int SequenceLength(byte lead) => lead switch
    {
        < 0x80 => 1,
        >= 0xC2 and <= 0xDF => 2,
        >= 0xE0 and <= 0xEF => 3,
        >= 0xF0 and <= 0xF4 => 4,
        _ => 0,
    };

    /// <summary>0: 80–BF; 1: A0–BF (after E0); 2: 80–9F (after ED); 3: 90–BF (after F0); 4: 80–8F (after F4).</summary>
    public static int FirstContinuationRange(byte lead) => lead switch { 0xE0 => 1, 0xED => 2, 0xF0 => 3, 0xF4 => 4, _ => 0 };

    public static byte FirstContinuationLow(int range) => range switch { 1 => 0xA0, 3 => 0x90, _ => 0x80 };
    public static byte FirstContinuationHigh(int range) => range switch { 2 => 0x9F, 4 => 0x8F, _ => 0xBF };

    /// <summary>Number of code points when <paramref name="bytes"/> is complete, valid UTF-8; −1 otherwise.</summary>
    public static int CountCodePoints(ReadOnlySpan<byte> bytes)
    {
        int count = 0;
        for (int i = 0; i < bytes.Length;)
        {
            int length = SequenceLength(bytes[i]);
            if (length == 0 || i + length > bytes.Length)
                return -1;
            int range = FirstContinuationRange(bytes[i]);
            for (int k = 1; k < length; k++)
            {
                byte c = bytes[i + k];
                byte lo = k == 1 ? FirstContinuationLow(range) : (byte)0x80, hi = k == 1 ? FirstContinuationHigh(range) : (byte)0xBF;
                if (c < lo || c > hi)
                    return -1;
            }
            i += length;
            count++;
        }
        return count;
    }
}
