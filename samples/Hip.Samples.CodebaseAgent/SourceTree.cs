using MAB.DotIgnore;

/// <summary>
/// The text files of a folder that git would track: .gitignore rules apply (the folder's own and its subfolders', and
/// those of the repository above it with .git/info/exclude), .git is skipped, and binary files — a known binary
/// extension, or a NUL byte in the first 8 KB — are left out, as are files over <see cref="MaxFileBytes"/>. Every path
/// is resolved to its final target first: only regular files inside the folder are read; a link pointing outside it,
/// a dangling or looping link, a linked folder, a named pipe, socket or device is skipped (and never opened).
/// </summary>
internal sealed class SourceTree
{
    public const int MaxFileBytes = 4 << 20;   // 4 MiB of text is about a million tokens: no context holds it
    private const int BinarySniffBytes = 8192;

    private static readonly HashSet<string> BinaryExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".tif", ".tiff", ".psd",
        ".pdf", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".jar", ".war", ".nupkg", ".snupkg",
        ".dll", ".exe", ".so", ".dylib", ".a", ".lib", ".o", ".obj", ".pdb", ".class", ".pyc", ".wasm",
        ".bin", ".dat", ".gguf", ".safetensors", ".pt", ".pth", ".onnx", ".npy", ".npz", ".h5", ".pb", ".model",
        ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".wav", ".ogg", ".flac", ".avi", ".mov", ".webm",
        ".db", ".sqlite", ".snk", ".pfx", ".p12",
    };

    private sealed record Scope(string Directory, IgnoreList Rules);   // one .gitignore and the folder its patterns are relative to

    private readonly Dictionary<string, SourceFile> _byPath;

    private SourceTree(string root, List<SourceFile> files, int ignored, int binary, List<string> large, List<string> skipped)
    {
        SkippedPaths = skipped;
        Root = root;
        Files = files;
        IgnoredCount = ignored;
        BinaryCount = binary;
        LargeFiles = large;
        _byPath = files.ToDictionary(f => f.RelativePath, StringComparer.Ordinal);
    }

    /// <summary>The folder, as a full path.</summary>
    public string Root { get; }

    /// <summary>The loaded files, ordered by path.</summary>
    public IReadOnlyList<SourceFile> Files { get; }

    /// <summary>Files and folders left out by .gitignore rules (a folder counts once).</summary>
    public int IgnoredCount { get; }

    /// <summary>Files left out as binary.</summary>
    public int BinaryCount { get; }

    /// <summary>Paths left out as links out of the folder, dangling or looping links, linked folders, pipes or devices.</summary>
    public IReadOnlyList<string> SkippedPaths { get; }

    /// <summary>Paths of text files left out for being over <see cref="MaxFileBytes"/>.</summary>
    public IReadOnlyList<string> LargeFiles { get; }

    /// <summary>A loaded file by its path relative to the root ('/' or '\' separated, a leading "./" or "/" allowed).</summary>
    public SourceFile? Find(string path) => _byPath.GetValueOrDefault(Normalize(path));

    /// <summary>"a\\b/./c/" → "a/b/c"; the root is "".</summary>
    public static string Normalize(string path) =>
        string.Join('/', path.Trim().Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != "."));

    /// <summary>Walks <paramref name="folder"/> and reads every file that is neither ignored nor binary.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static SourceTree Scan(string folder)
    {
        string root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"The folder '{folder}' does not exist.");
        string realRoot = FileKind.RealPath(root) ?? root;   // the folder itself may be reached through a link
        var files = new List<SourceFile>();
        var large = new List<string>();
        var skipped = new List<string>();
        int ignored = 0, binary = 0;
        var scopes = RepositoryScopes(root);

        void Walk(string directory)
        {
            bool hasRules = File.Exists(Path.Combine(directory, ".gitignore"));
            if (hasRules)
                scopes.Add(new Scope(directory, new IgnoreList(Path.Combine(directory, ".gitignore"))));
            var entries = new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                bool isDirectory = entry is DirectoryInfo;
                string relative = Path.GetRelativePath(root, entry.FullName).Replace('\\', '/');
                if (isDirectory && entry.Name == ".git")
                    continue;   // git's own store
                if (isDirectory && entry.LinkTarget is not null)
                {
                    skipped.Add(relative);   // a linked folder could loop or lead out of the folder
                    continue;
                }
                if (IsIgnored(scopes, entry.FullName, isDirectory))
                {
                    ignored++;
                    continue;
                }
                if (isDirectory)
                {
                    Walk(entry.FullName);
                    continue;
                }
                // the final target, which must be a regular file inside the folder: never open anything else
                string? target = FileKind.RealPath(entry.FullName);
                if (target is null || !IsInside(realRoot, target) || !FileKind.IsRegularFile(target))
                {
                    skipped.Add(relative);
                    continue;
                }
                var file = new FileInfo(target);
                if (IsBinary(file))
                    binary++;
                else if (file.Length > MaxFileBytes)
                    large.Add(relative);
                else
                    files.Add(new SourceFile(relative, File.ReadAllText(file.FullName)));
            }
            if (hasRules)
                scopes.RemoveAt(scopes.Count - 1);
        }

        Walk(root);
        return new SourceTree(root, files, ignored, binary, large, skipped);
    }

    private static bool IsInside(string root, string path)
    {
        string relative = Path.GetRelativePath(root, path);
        return relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !Path.IsPathRooted(relative);
    }

    // git: the deepest .gitignore with a matching pattern decides, and within one file the last matching pattern
    private static bool IsIgnored(List<Scope> scopes, string fullPath, bool isDirectory)
    {
        for (int i = scopes.Count - 1; i >= 0; i--)
        {
            string relative = Path.GetRelativePath(scopes[i].Directory, fullPath).Replace('\\', '/');
            bool? verdict = null;
            foreach (var rule in scopes[i].Rules.Rules)
                if (rule.IsMatch(relative, isDirectory))
                    verdict = !rule.PatternFlags.HasFlag(PatternFlags.NEGATION);
            if (verdict is bool ignore)
                return ignore;
        }
        return false;
    }

    // The rules above the folder when it lies inside a git repository: .git/info/exclude, then each .gitignore from
    // the repository's top down to the folder's parent (the folder's own is read by the walk).
    private static List<Scope> RepositoryScopes(string root)
    {
        var scopes = new List<Scope>();
        if (IsRepositoryTop(root))
        {
            AddExclude(scopes, root);
            return scopes;
        }
        for (var directory = Directory.GetParent(root); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, ".gitignore")))
                scopes.Insert(0, new Scope(directory.FullName, new IgnoreList(Path.Combine(directory.FullName, ".gitignore"))));
            if (IsRepositoryTop(directory.FullName))
            {
                AddExclude(scopes, directory.FullName);
                return scopes;
            }
        }
        return [];   // not inside a repository: .gitignore files above the folder do not apply
    }

    private static bool IsRepositoryTop(string directory) => Path.Exists(Path.Combine(directory, ".git"));

    private static void AddExclude(List<Scope> scopes, string top)
    {
        string exclude = Path.Combine(top, ".git", "info", "exclude");
        if (File.Exists(exclude))
            scopes.Insert(0, new Scope(top, new IgnoreList(exclude)));
    }

    private static bool IsBinary(FileInfo file)
    {
        if (BinaryExtensions.Contains(file.Extension))
            return true;
        Span<byte> head = stackalloc byte[BinarySniffBytes];
        using var stream = file.OpenRead();
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return head[..read].Contains((byte)0);
    }
}
