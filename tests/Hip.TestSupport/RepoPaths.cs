namespace Hip.TestSupport;

/// <summary>Paths inside the repository, found by walking up to the folder holding Hip.Agents.sln.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    public static string Root => s_root.Value;
    public static string Models => Path.Combine(Root, "models");
    public static string Stories260K => Path.Combine(Models, "stories260K");
    public static string TinyRandomGguf => Path.Combine(Models, "llama-2-tiny-random-gguf", "llama-2-tiny-random.gguf");

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Hip.Agents.sln")))
                    return dir.FullName;
        throw new DirectoryNotFoundException($"Hip.Agents.sln not found above {AppContext.BaseDirectory}; set the working directory to the repository.");
    }
}
