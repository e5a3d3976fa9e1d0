using System.ComponentModel;
using System.Text;
using Microsoft.Extensions.AI;

/// <summary>
/// The agent's tools over the loaded folder, as <see cref="AIFunction"/>s: read a file, list a folder, search text.
/// They see only what was loaded (no ignored, binary or outside paths); each call is echoed to stderr.
/// </summary>
internal sealed class CodebaseTools(SourceTree tree)
{
    private const int MaxSearchResults = 50;

    /// <summary>The three tools, for <c>ChatClientAgent</c>'s tools.</summary>
    public IList<AITool> Create() =>
    [
        AIFunctionFactory.Create(ReadFile, "read_file", "Reads a file of the codebase with line numbers, optionally only lines firstLine..lastLine."),
        AIFunctionFactory.Create(ListFolder, "list_folder", "Lists the files (with sizes in lines) and subfolders of a codebase folder; \"\" is the top."),
        AIFunctionFactory.Create(SearchText, "search_text", "Finds the lines of the codebase that contain a text (case-insensitive), as path:line: text."),
    ];

    private string ReadFile(
        [Description("The file's path relative to the codebase's top, e.g. src/Program.cs")] string path,
        [Description("First line to return (1-based); default 1")] int? firstLine = null,
        [Description("Last line to return; default the end of the file")] int? lastLine = null)
    {
        Echo($"read_file {path} {firstLine}..{lastLine}");
        if (tree.Find(path) is not { } file)
            return $"No file '{path}' in the codebase (it may be ignored, binary or missing); list_folder shows what there is.";
        string[] lines = Lines(file.Text);
        int first = Math.Max(firstLine ?? 1, 1), last = Math.Min(lastLine ?? lines.Length, lines.Length);
        var text = new StringBuilder();
        for (int i = first; i <= last; i++)
            text.Append(i).Append(": ").Append(lines[i - 1].TrimEnd('\r')).Append('\n');
        return text.Length > 0 ? text.ToString() : $"'{file.RelativePath}' has {lines.Length} lines; none in {first}..{last}.";
    }

    private string ListFolder([Description("The folder's path relative to the codebase's top; \"\" for the top")] string path = "")
    {
        Echo($"list_folder {path}");
        string folder = SourceTree.Normalize(path);
        string prefix = folder.Length == 0 ? "" : folder + "/";
        var folders = new SortedSet<string>(StringComparer.Ordinal);
        var files = new List<string>();
        foreach (var file in tree.Files.Where(f => f.RelativePath.StartsWith(prefix, StringComparison.Ordinal)))
        {
            string rest = file.RelativePath[prefix.Length..];
            int slash = rest.IndexOf('/');
            if (slash >= 0)
                folders.Add(rest[..(slash + 1)]);
            else
            {
                int count = Lines(file.Text).Length;
                files.Add($"{rest} ({count} line{(count == 1 ? "" : "s")})");
            }
        }
        return folders.Count + files.Count == 0
            ? $"No folder '{path}' with loaded files in the codebase."
            : string.Join('\n', folders.Concat(files));
    }

    private string SearchText([Description("The text to look for")] string text)
    {
        Echo($"search_text {text}");
        if (string.IsNullOrEmpty(text))
            return "Give a text to search for.";
        var hits = new List<string>();
        foreach (var file in tree.Files)
        {
            string[] lines = Lines(file.Text);
            for (int i = 0; i < lines.Length && hits.Count < MaxSearchResults; i++)
                if (lines[i].Contains(text, StringComparison.OrdinalIgnoreCase))
                    hits.Add($"{file.RelativePath}:{i + 1}: {lines[i].Trim()}");
        }
        return hits.Count == 0 ? $"No line contains '{text}'."
            : hits.Count < MaxSearchResults ? string.Join('\n', hits)
            : string.Join('\n', hits) + $"\n(first {MaxSearchResults} matches only; search for something more specific)";
    }

    private static string[] Lines(string text) => text.TrimEnd('\n').Split('\n');

    private static void Echo(string call) => Console.Error.WriteLine($"  [tool] {call}");
}
