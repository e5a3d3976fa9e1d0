namespace Hip.TestSupport;

/// <summary>Paths inside the repository, found by walking up to the folder holding Hip.Agents.sln.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    public static string Root => s_root.Value;
    public static string Models => Path.Combine(Root, "models");
    public static string Stories260K => Path.Combine(Models, "stories260K");
    public static string TinyRandomGguf => Path.Combine(Models, "llama-2-tiny-random-gguf", "llama-2-tiny-random.gguf");

    /// <summary>
    /// The shared models folder beside the clone (`../shared/models`: test data that is large or may not be
    /// redistributed), or HIP_SHARED_MODELS where a runner carries a copy elsewhere (the GPU machine).
    /// </summary>
    public static string SharedModels => Environment.GetEnvironmentVariable("HIP_SHARED_MODELS") is { Length: > 0 } folder
        ? folder
        : Path.GetFullPath(Path.Combine(Root, "..", "shared", "models"));

    /// <summary>
    /// A file of <paramref name="folder"/> under models/ in the repository, else under <see cref="SharedModels"/>; null
    /// when neither has it (the caller skips with a printed reason).
    /// </summary>
    public static string? FindModelFile(string folder, string name)
    {
        foreach (var root in new[] { Models, SharedModels })
        {
            string path = Path.Combine(root, folder, name);
            if (File.Exists(path))
                return path;
        }
        return null;
    }

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Hip.Agents.sln")))
                    return dir.FullName;
        throw new DirectoryNotFoundException($"Hip.Agents.sln not found above {AppContext.BaseDirectory}; set the working directory to the repository.");
    }
}
