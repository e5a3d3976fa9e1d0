using System.Text.Json;

namespace Hip.TestSupport;

/// <summary>stories260K_reference.json: greedy tokens from BOS, their text, and float64-reference logits.</summary>
public sealed class Stories260KReference
{
    public required int[] InputTokens { get; init; }
    public required int[] GreedyTokens { get; init; }
    public required string Text { get; init; }
    public required float[][] LogitsFirst8 { get; init; }
    public required float[] LogitsAt199 { get; init; }

    public static string GgufPath => Path.Combine(RepoPaths.Stories260K, "stories260K.gguf");
    public static string BinPath => Path.Combine(RepoPaths.Stories260K, "stories260K.bin");
    public static string TokenizerPath => Path.Combine(RepoPaths.Stories260K, "tok512.model");

    private static readonly Lazy<Stories260KReference> s_instance = new(Read);
    public static Stories260KReference Instance => s_instance.Value;

    private static Stories260KReference Read()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.Stories260K, "stories260K_reference.json")));
        var root = document.RootElement;
        static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();
        return new Stories260KReference
        {
            InputTokens = root.GetProperty("input_tokens").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            GreedyTokens = root.GetProperty("greedy_tokens").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            Text = root.GetProperty("text").GetString()!,
            LogitsFirst8 = root.GetProperty("logits_first_8_positions").EnumerateArray().Select(Floats).ToArray(),
            LogitsAt199 = Floats(root.GetProperty("logits_position_199")),
        };
    }
}
