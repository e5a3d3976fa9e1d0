using System.Collections.Concurrent;
using System.Text.Json;
using Hip.TestSupport;

namespace Hip.Inference.Tests.Tokenization;

/// <summary>
/// llama.cpp's vocabulary test data (REAL-MODELS.md §1): models/vocab in the repository (the vocabularies whose licence
/// allows it), else shared/models/vocab beside the repository (all six; Meta's may not be redistributed).
/// </summary>
internal static class VocabularyFiles
{
    public static readonly string[] All = ["llama-spm", "phi-3", "gpt-2", "starcoder", "llama-bpe", "qwen2"];

    private static readonly ConcurrentDictionary<string, (HipTokenizer Tokenizer, IReadOnlyDictionary<string, object> Metadata)> s_loaded = new();
    private static readonly Lazy<string[]> s_tokCorpus = new(() => ReadJsonLines(CorpusPath("tokcorpus.jsonl")!));
    private static readonly Lazy<string[]> s_chatCorpus = new(() => ReadJsonLines(CorpusPath("chatcorpus.jsonl")!));

    /// <summary>The path of ggml-vocab-{name}.gguf (or a file beside it), or null with the reason in <paramref name="missing"/>.</summary>
    public static string? Find(string fileName, out string missing)
    {
        foreach (string folder in Folders())
        {
            string path = Path.Combine(folder, fileName);
            if (File.Exists(path))
            {
                missing = "";
                return path;
            }
        }
        missing = $"skipped: {fileName} is in neither models/vocab nor a shared/models/vocab above {RepoPaths.Root} (not redistributable; see REAL-MODELS.md §1).";
        return null;
    }

    public static string GgufName(string vocab) => $"ggml-vocab-{vocab}.gguf";

    public static string? CorpusPath(string fileName) => Find(Path.Combine("corpus", fileName), out _);

    /// <summary>The tokenizer of ggml-vocab-{name}.gguf, loaded once.</summary>
    public static HipTokenizer Tokenizer(string path) => Load(path).Tokenizer;

    /// <summary>The file's metadata, read once.</summary>
    public static IReadOnlyDictionary<string, object> Metadata(string path) => Load(path).Metadata;

    private static (HipTokenizer Tokenizer, IReadOnlyDictionary<string, object> Metadata) Load(string path) =>
        s_loaded.GetOrAdd(path, p =>
        {
            var metadata = GgufReader.ReadHeader(p).Metadata;
            return (HipTokenizer.FromGguf(metadata, p), metadata);
        });

    public static string[] TokCorpus => s_tokCorpus.Value;

    public static string[] ChatCorpus => s_chatCorpus.Value;

    /// <summary>The 46 test strings of a .inp file.</summary>
    public static string[] ReadInputs(string path)
    {
        var parts = File.ReadAllText(path).Split("\n__ggml_vocab_test__\n");
        return parts[..^1];
    }

    /// <summary>One id list per line.</summary>
    public static int[][] ReadIds(string path) =>
        File.ReadAllLines(path).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()).ToArray();

    private static string[] ReadJsonLines(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<string>(l)!).ToArray();

    private static IEnumerable<string> Folders()
    {
        yield return Path.Combine(RepoPaths.Models, "vocab");
        for (var dir = new DirectoryInfo(RepoPaths.Root); dir is not null; dir = dir.Parent)
            yield return Path.Combine(dir.FullName, "shared", "models", "vocab");
    }
}
