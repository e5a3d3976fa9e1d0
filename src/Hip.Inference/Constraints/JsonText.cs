using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Hip.Inference;

/// <summary>Compact JSON text as the grammar writes it: no whitespace, characters as themselves except those JSON must escape.</summary>
internal static class JsonText
{
    private static readonly JsonWriterOptions s_writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>The JSON string literal of <paramref name="value"/>, quotes included.</summary>
    public static string EncodeString(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case < ' ': text.Append("\\u").Append(((int)c).ToString("x4")); break;
                default: text.Append(c); break;
            }
        }
        return text.Append('"').ToString();
    }

    /// <summary>The compact UTF-8 JSON of <paramref name="value"/> (strings re-encoded by <see cref="EncodeString"/>).</summary>
    public static byte[] Encode(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
            return Encoding.UTF8.GetBytes(EncodeString(value.GetString()!));
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_writer))
            value.WriteTo(writer);
        return buffer.ToArray();
    }
}
