using System.Text;
using Hip.TestSupport;
using Xunit;

namespace Hip.Inference.Tests.Constraints;

/// <summary>Tokenizers for the constraint tests and a driver that samples uniformly among the allowed tokens.</summary>
internal static class ConstraintTestData
{
    private static readonly Lazy<HipTokenizer> s_tok512 = new(() => HipTokenizer.FromSentencePieceModel(Path.Combine(RepoPaths.Stories260K, "tok512.model")));
    private static readonly Lazy<HipTokenizer> s_llama2 = new(() => TokenizerLoader.ForModel(RepoPaths.TinyRandomGguf, GgufReader.ReadHeader(RepoPaths.TinyRandomGguf).Metadata, "gguf", 32000));

    /// <summary>stories260K's 512-piece SentencePiece tokenizer (byte fallback for every non-ASCII byte and most punctuation).</summary>
    public static HipTokenizer Tok512 => s_tok512.Value;

    /// <summary>The Llama 2 tokenizer (32,000 pieces) from the tiny random GGUF.</summary>
    public static HipTokenizer Llama2 => s_llama2.Value;

    /// <summary>Small caps so random documents stay short.</summary>
    public static JsonGrammarOptions Small { get; } = new() { MaxStringLength = 16, MaxItems = 3, MaxProperties = 3, MaxAnyDepth = 3, MaxRefDepth = 3 };

    /// <summary>The allowed token ids after <see cref="GrammarConstraint.Apply"/>.</summary>
    public static List<int> Allowed(ITokenConstraint constraint, int vocabSize)
    {
        var logits = new float[vocabSize];
        constraint.Apply(logits);
        var allowed = new List<int>();
        for (int id = 0; id < logits.Length; id++)
            if (!float.IsNegativeInfinity(logits[id]))
                allowed.Add(id);
        return allowed;
    }

    /// <summary>Draws allowed tokens uniformly until the constraint completes; returns the text the tokens wrote.</summary>
    public static string RandomDocument(GrammarConstraint constraint, TokenVocabulary vocabulary, Random random, int maxSteps = 4000)
    {
        var bytes = new List<byte>();
        for (int step = 0; step < maxSteps && !constraint.IsComplete; step++)
        {
            var allowed = Allowed(constraint, vocabulary.Count);
            Assert.NotEmpty(allowed);
            int id = allowed[random.Next(allowed.Count)];
            constraint.Accept(id);
            bytes.AddRange(vocabulary.GetBytes(id).ToArray());
        }
        Assert.True(constraint.IsComplete, $"no end after {maxSteps} steps: {Encoding.UTF8.GetString([.. bytes])}");
        return Encoding.UTF8.GetString([.. bytes]);
    }
}
