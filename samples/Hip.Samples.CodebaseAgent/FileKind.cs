using System.Runtime.InteropServices;

/// <summary>
/// What a path finally names, following every symbolic link in it (in folders too, with a bound that catches loops),
/// without opening it: a named pipe or a device is never opened, since opening a pipe blocks until a writer comes.
/// </summary>
internal static class FileKind
{
    /// <summary>The path with every link resolved, or null for a loop or a dangling link.</summary>
    public static string? RealPath(string path)
    {
        string full = Path.GetFullPath(path);
        if (OperatingSystem.IsWindows())
        {
            try
            {
                var target = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true);
                string final = target is null ? full : Path.GetFullPath(target.FullName);
                return Path.Exists(final) ? final : null;
            }
            catch (IOException)
            {
                return null;   // a loop
            }
        }

        var pending = new Stack<string>(full.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        string current = "/";
        int links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".")
                continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            string next = Path.Join(current, part);
            if (new FileInfo(next).LinkTarget is { } target)
            {
                if (++links > 40)
                    return null;   // a loop (Linux gives up after 40 too)
                if (target.StartsWith('/'))
                    current = "/";
                foreach (string piece in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                    pending.Push(piece);
                continue;
            }
            current = next;
        }
        return Path.Exists(current) ? current : null;
    }

    /// <summary>True for a regular file (not a folder, pipe, socket or device); <paramref name="path"/> must be link-free.</summary>
    public static bool IsRegularFile(string path)
    {
        if (!File.Exists(path))
            return false;
        if (OperatingSystem.IsWindows())
            return true;   // no pipes or devices among a folder's files
        try
        {
            if (LStat(path, out var status) != 0)
                return false;
            return (status.Mode & TypeMask) == RegularType;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return new FileInfo(path).Length > 0;   // no stat: an empty entry may be a pipe, so it is not read
        }
    }

    private const int TypeMask = 0xF000, RegularType = 0x8000;   // S_IFMT, S_IFREG

    // .NET's own portable stat (System.Native): the fields begin with int Flags, int Mode; the rest is room to spare
    [StructLayout(LayoutKind.Sequential, Size = 512)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat")]
    private static extern int LStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, out FileStatus status);
}
