using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Hip.Inference;

/// <summary>
/// A model file opened for loading: its metadata (GGUF key-values; a llama2.c header is presented as the equivalent
/// llama keys), its tensor table, and the raw bytes of any tensor read on demand (nothing is held in memory, so a
/// 15 GB file streams to the device in chunks). Chooses the reader by the file's first bytes.
/// </summary>
public sealed class ModelFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, ModelTensor> _byName;

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>"gguf" or "llama2.c".</summary>
    public string Format { get; }

    /// <summary>GGUF key-values (for llama2.c: general.architecture and the llama.* shape keys of its header).</summary>
    public IReadOnlyDictionary<string, object> Metadata { get; }

    /// <summary>The tensor table in file order.</summary>
    public IReadOnlyList<ModelTensor> Tensors { get; }

    /// <summary>Size of the file in bytes.</summary>
    public long FileBytes { get; }

    private ModelFile(string path, string format, IReadOnlyDictionary<string, object> metadata, IReadOnlyList<ModelTensor> tensors)
    {
        Path = path;
        Format = format;
        Metadata = metadata;
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        FileBytes = RandomAccess.GetLength(_handle);
    }

    /// <summary>
    /// Opens a GGUF file ("GGUF" magic) or a llama2.c version-0 checkpoint (anything else). A malformed file gives an
    /// <see cref="InvalidDataException"/> "Loading '{path}' failed: ...".
    /// </summary>
    public static ModelFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            if (IsGguf(path))
            {
                var gguf = GgufReader.ReadHeader(path);
                var tensors = gguf.Tensors.Select(t => new ModelTensor(t.Name, t.Dims, t.Type, gguf.DataOffset + t.Offset)).ToList();
                return new ModelFile(path, "gguf", gguf.Metadata, tensors);
            }
            var (metadata, table) = Llama2cReader.ReadLayout(path);
            return new ModelFile(path, "llama2.c", metadata, table);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Loading '{path}' failed: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"Loading '{path}' failed: {path}: unexpected end of file ({e.Message}).", e);
        }
    }

    /// <summary>The tensor named <paramref name="name"/>, or null.</summary>
    public ModelTensor? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Fills <paramref name="destination"/> with the tensor's raw bytes starting <paramref name="offset"/> bytes into it.</summary>
    public void Read(ModelTensor tensor, long offset, Span<byte> destination)
    {
        long position = tensor.FileOffset + offset;
        while (destination.Length > 0)
        {
            int read = RandomAccess.Read(_handle, destination, position);
            if (read <= 0)
                throw new InvalidDataException($"{Path}: tensor '{tensor.Name}' ends past the end of the file (at byte {position}); the file is truncated or was changed while loading.");
            destination = destination[read..];
            position += read;
        }
    }

    private static bool IsGguf(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        Span<byte> magic = stackalloc byte[4];
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4
            && BinaryPrimitives.ReadUInt32LittleEndian(magic) == GgufReader.Magic;
    }

    public void Dispose() => _handle.Dispose();
}
