namespace Hip.Inference;

/// <summary>Finds the tokenizer that goes with a model file.</summary>
public static class TokenizerLoader
{
    /// <summary>
    /// The tokenizer for the model at <paramref name="modelPath"/> whose embedding has <paramref name="vocab"/> rows:
    /// <paramref name="tokenizerPath"/> (a SentencePiece .model) when given; else the GGUF file's own tokenizer.ggml.*
    /// (<paramref name="metadata"/>); else, for llama2.c checkpoints (<paramref name="fileFormat"/> "llama2.c"),
    /// tok{vocab}.model or tokenizer.model next to the model file.
    /// </summary>
    public static HipTokenizer ForModel(string modelPath, IReadOnlyDictionary<string, object> metadata, string fileFormat, int vocab,
        string? tokenizerPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentNullException.ThrowIfNull(metadata);

        if (tokenizerPath is not null)
            return CheckVocab(FromFile(tokenizerPath), tokenizerPath, vocab);
        if (fileFormat == "gguf")
            return CheckVocab(HipTokenizer.FromGguf(metadata, modelPath), modelPath, vocab);

        string folder = Path.GetDirectoryName(Path.GetFullPath(modelPath)) ?? ".";
        string[] candidates = [$"tok{vocab}.model", "tokenizer.model"];
        foreach (string name in candidates)
        {
            string candidate = Path.Combine(folder, name);
            if (!File.Exists(candidate))
                continue;
            var tokenizer = HipTokenizer.FromSentencePieceModel(candidate);
            if (tokenizer.VocabSize == vocab)
                return tokenizer;
        }
        throw new FileNotFoundException(
            $"{modelPath}: a llama2.c checkpoint has no tokenizer inside, and no {string.Join(" or ", candidates)} with {vocab} tokens is in {folder}; pass a tokenizer path (a SentencePiece .model file).");
    }

    private static HipTokenizer FromFile(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Tokenizer file '{path}' does not exist.", path);
        if (!path.EndsWith(".model", StringComparison.OrdinalIgnoreCase))
            throw new NotSupportedException($"{path}: only SentencePiece .model tokenizer files are supported.");
        return HipTokenizer.FromSentencePieceModel(path);
    }

    private static HipTokenizer CheckVocab(HipTokenizer tokenizer, string source, int modelVocab)
    {
        if (tokenizer.VocabSize > modelVocab)
            throw new InvalidDataException(
                $"{source}: the tokenizer has {tokenizer.VocabSize} tokens, but the model's embedding has only {modelVocab} rows.");
        return tokenizer;
    }
}
