using Hip.Inference;
using Hip.TestSupport;

namespace Hip.SemanticKernel.Tests;

/// <summary>The embedded stories260K model, loaded once on the shared test accelerator, and reference runs straight on the engine.</summary>
internal static class SharedModel
{
    private static readonly Lazy<InferenceEngine> s_engine = new(() => InferenceEngine.Load(ModelPath, gpu: TestGpu.Gpu));

    public static string ModelPath => Path.Combine(RepoPaths.Stories260K, "stories260K.gguf");

    public static InferenceEngine Engine => s_engine.Value;

    /// <summary>What the engine itself generates after BOS + <paramref name="prompt"/> (the plain template): text and token count.</summary>
    public static async Task<(string Text, int Tokens)> ReferenceAsync(InferenceEngine engine, string prompt, SamplingParams sampling)
    {
        var ids = engine.Tokenizer.Encode(prompt, addBos: true);
        var decoder = new StreamingDecoder(engine.Tokenizer, ids);
        var text = new System.Text.StringBuilder();
        int count = 0;
        await foreach (int id in engine.GenerateAsync(ids, sampling))
        {
            text.Append(decoder.Append(id));
            count++;
        }
        text.Append(decoder.Flush());
        return (text.ToString(), count);
    }
}
