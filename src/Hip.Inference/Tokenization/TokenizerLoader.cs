namespace Hip.Inference;

/// <summary>Finds the tokenizer that goes with a model file.</summary>
public static class TokenizerLoader
{
    /// <summary>
    /// The tokenizer for the model at <paramref name="modelPath"/> whose embedding has <paramref name="vocab"/> rows:
    /// <paramref name="tokenizerPath"/> (a SentencePiece .model) when given; else the GGUF file's own tokenizer.ggml.*
    /// (<paramref name="metadata"/>); else, for llama2.c checkpoints (<paramref name="fileFormat"/> "llama2.c"),
    /// tok{vocab}.model or tokenizer.model next to the model file. A tokenizer larger than the embedding is refused.
    /// </summary>
    public static HipTokenizer ForModel(string modelPath, IReadOnlyDictionary<string, object> metadata, string fileFormat, int vocab,
        string? tokenizerPath = null) =>
        ForModel(modelPath, metadata, fileFormat, tokenizerPath, modelVocab: vocab);

    /// <summary>
    /// The tokenizer for the model file at <paramref name="modelPath"/> from what its header says:
    /// <paramref name="tokenizerPath"/> (a SentencePiece .model) when given; else, for <paramref name="fileFormat"/>
    /// "gguf", the <paramref name="metadata"/>'s tokenizer.ggml.*; else (llama2.c) tokenizer.model or tok{N}.model
    /// beside the model file.
    /// </summary>
    public static HipTokenizer ForModel(string modelPath, IReadOnlyDictionary<string, object> metadata, string fileFormat, string? tokenizerPath = null) =>
        ForModel(modelPath, metadata, fileFormat, tokenizerPath, modelVocab: null);

    private static HipTokenizer ForModel(string modelPath, IReadOnlyDictionary<string, object> metadata, string fileFormat, string? tokenizerPath, int? modelVocab)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(fileFormat);

        if (tokenizerPath is not null)
            return CheckVocab(FromFile(tokenizerPath), tokenizerPath, modelVocab);
        if (fileFormat == "gguf")
            return CheckVocab(HipTokenizer.FromGguf(metadata, modelPath), modelPath, modelVocab);

        string folder = Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".";
        string[] candidates = modelVocab is int vocab ? [$"tok{vocab}.model", "tokenizer.model"] : ["tokenizer.model", .. TokNames(folder)];
        foreach (string name in candidates)
        {
            string candidate = Path.Combine(folder, name);
            if (!File.Exists(candidate))
                continue;
            var tokenizer = HipTokenizer.FromSentencePieceModel(candidate);
            if (modelVocab is null || tokenizer.VocabSize == modelVocab)
                return tokenizer;
        }
        string wanted = modelVocab is int n ? $"tok{n}.model or tokenizer.model with {n} tokens" : "tokenizer.model or tok{N}.model";
        throw new FileNotFoundException(
            $"{modelPath}: a llama2.c checkpoint has no tokenizer inside, and no {wanted} is in {folder}; pass a tokenizer path (a SentencePiece .model file).");
    }

    /// <summary>tok{N}.model files in <paramref name="folder"/>, in name order.</summary>
    private static IEnumerable<string> TokNames(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "tok*.model").Select(Path.GetFileName).OfType<string>()
                .Where(n => n.Length > 9 && n[3..^6].All(char.IsAsciiDigit)).Order(StringComparer.Ordinal)
            : [];

    private static HipTokenizer FromFile(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Tokenizer file '{path}' does not exist.", path);
        if (!path.EndsWith(".model", StringComparison.OrdinalIgnoreCase))
            throw new NotSupportedException($"{path}: only SentencePiece .model tokenizer files are supported.");
        return HipTokenizer.FromSentencePieceModel(path);
    }

    private static HipTokenizer CheckVocab(HipTokenizer tokenizer, string source, int? modelVocab)
    {
        if (tokenizer.VocabSize > modelVocab)
            throw new InvalidDataException(
                $"{source}: the tokenizer has {tokenizer.VocabSize} tokens, but the model's embedding has only {modelVocab} rows.");
        return tokenizer;
    }
}
