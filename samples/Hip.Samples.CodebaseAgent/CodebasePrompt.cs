using System.Text;

/// <summary>
/// The agent's instructions, which carry the whole folder: a short preamble naming the tools, then every file between
/// &lt;file path="…"&gt; and &lt;/file&gt;. Each file's token count is kept for the listing.
/// </summary>
internal sealed class CodebasePrompt
{
    private CodebasePrompt(string text, IReadOnlyList<(SourceFile File, int Tokens)> files) => (Text, Files) = (text, files);

    /// <summary>The instructions text.</summary>
    public string Text { get; }

    /// <summary>The files in prompt order with the tokens of their block (tag lines included).</summary>
    public IReadOnlyList<(SourceFile File, int Tokens)> Files { get; }

    /// <summary>Renders <paramref name="tree"/>, counting each block's tokens; <paramref name="progress"/> hears each file done.</summary>
    public static CodebasePrompt Render(SourceTree tree, Func<string, int> countTokens, ProgressDisplay.ProgressStep progress)
    {
        var text = new StringBuilder();
        text.Append($"You answer questions about the code in the folder '{Path.GetFileName(tree.Root)}'. ")
            .Append("Its files follow, each between <file path=\"...\"> and </file>. ")
            .Append("Tools: read_file (with line numbers), list_folder, search_text.\n\n");
        var files = new List<(SourceFile, int)>(tree.Files.Count);
        int tokens = 0;
        foreach (var file in tree.Files)
        {
            string block = $"<file path=\"{file.RelativePath}\">\n{file.Text}{(file.Text.EndsWith('\n') ? "" : "\n")}</file>\n";
            int count = countTokens(block);
            text.Append(block);
            files.Add((file, count));
            tokens += count;
            progress.Report(files.Count, $"{tokens:N0} tokens");
        }
        return new CodebasePrompt(text.ToString(), files);
    }
}
