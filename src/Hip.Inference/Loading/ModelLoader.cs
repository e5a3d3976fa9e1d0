using System.Buffers.Binary;

namespace Hip.Inference;

/// <summary>Loads a model file into host memory, choosing the reader by the file's first bytes.</summary>
public static class ModelLoader
{
    /// <summary>
    /// Reads a GGUF file ("GGUF" magic) or a llama2.c version-0 checkpoint (anything else; "ak42" v1/v2 files are refused).
    /// A malformed file gives an <see cref="InvalidDataException"/> "Loading '{path}' failed: ...".
    /// </summary>
    public static LlamaCheckpoint Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return IsGguf(path) ? GgufReader.LoadLlama(path) : Llama2cReader.Load(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Loading '{path}' failed: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            // the readers check every length first; this only happens if the file shrinks while it is read
            throw new InvalidDataException($"Loading '{path}' failed: {path}: unexpected end of file ({e.Message}).", e);
        }
    }

    private static bool IsGguf(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        Span<byte> magic = stackalloc byte[4];
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4
            && BinaryPrimitives.ReadUInt32LittleEndian(magic) == GgufReader.Magic;
    }
}
