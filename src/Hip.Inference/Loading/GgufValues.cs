namespace Hip.Inference;

/// <summary>Typed reads of GGUF metadata values; a value of the wrong type or range is an <see cref="InvalidDataException"/>.</summary>
internal static class GgufValues
{
    public static string GetString(IReadOnlyDictionary<string, object> metadata, string key, string source) =>
        GetOptionalString(metadata, key, source) ?? throw Missing(key, source, "a string");

    public static string? GetOptionalString(IReadOnlyDictionary<string, object> metadata, string key, string source) =>
        metadata.TryGetValue(key, out var value)
            ? value as string ?? throw WrongType(key, source, value, "a string")
            : null;

    public static int GetInt32(IReadOnlyDictionary<string, object> metadata, string key, string source) =>
        GetOptionalInt32(metadata, key, source) ?? throw Missing(key, source, "an integer");

    public static int? GetOptionalInt32(IReadOnlyDictionary<string, object> metadata, string key, string source)
    {
        if (!metadata.TryGetValue(key, out var value))
            return null;
        if (!TryToInt64(value, out long number))
            throw WrongType(key, source, value, "an integer");
        if (number < int.MinValue || number > int.MaxValue)
            throw new InvalidDataException($"{source}: metadata '{key}' is {number}, expected a 32-bit integer.");
        return (int)number;
    }

    public static float? GetOptionalFloat(IReadOnlyDictionary<string, object> metadata, string key, string source)
    {
        if (!metadata.TryGetValue(key, out var value))
            return null;
        return value switch
        {
            float f => f,
            double d => (float)d,
            _ when TryToInt64(value, out long n) => n,
            _ => throw WrongType(key, source, value, "a number"),
        };
    }

    public static bool? GetOptionalBool(IReadOnlyDictionary<string, object> metadata, string key, string source) =>
        metadata.TryGetValue(key, out var value)
            ? value as bool? ?? throw WrongType(key, source, value, "a bool")
            : null;

    public static string[]? GetOptionalStringArray(IReadOnlyDictionary<string, object> metadata, string key, string source) =>
        metadata.TryGetValue(key, out var value)
            ? value as string[] ?? throw WrongType(key, source, value, "an array of strings")
            : null;

    public static float[]? GetOptionalFloatArray(IReadOnlyDictionary<string, object> metadata, string key, string source)
    {
        if (!metadata.TryGetValue(key, out var value))
            return null;
        return value switch
        {
            float[] f => f,
            double[] d => Array.ConvertAll(d, x => (float)x),
            _ => throw WrongType(key, source, value, "an array of numbers"),
        };
    }

    public static int[]? GetOptionalInt32Array(IReadOnlyDictionary<string, object> metadata, string key, string source)
    {
        if (!metadata.TryGetValue(key, out var value))
            return null;
        if (value is int[] ints)
            return ints;
        if (value is not Array array || array.Length > 0 && !TryToInt64(array.GetValue(0)!, out _))
            throw WrongType(key, source, value, "an array of integers");
        var result = new int[array.Length];
        for (int i = 0; i < result.Length; i++)
        {
            if (!TryToInt64(array.GetValue(i)!, out long n) || n < int.MinValue || n > int.MaxValue)
                throw new InvalidDataException($"{source}: metadata '{key}' element {i} is {array.GetValue(i)}, expected a 32-bit integer.");
            result[i] = (int)n;
        }
        return result;
    }

    /// <summary>A metadata value's type for messages: "string", "u32", "array of f32" ...</summary>
    public static string Describe(object value) => value switch
    {
        object[] => "array of arrays",
        Array a => $"array of {Describe(a.GetType().GetElementType()!)}",
        _ => Describe(value.GetType()),
    };

    private static string Describe(Type type) => Type.GetTypeCode(type) switch
    {
        TypeCode.String => "string",
        TypeCode.Boolean => "bool",
        TypeCode.Byte => "u8",
        TypeCode.SByte => "i8",
        TypeCode.UInt16 => "u16",
        TypeCode.Int16 => "i16",
        TypeCode.UInt32 => "u32",
        TypeCode.Int32 => "i32",
        TypeCode.UInt64 => "u64",
        TypeCode.Int64 => "i64",
        TypeCode.Single => "f32",
        TypeCode.Double => "f64",
        _ => type.Name,
    };

    private static bool TryToInt64(object value, out long number)
    {
        switch (value)
        {
            case byte v: number = v; return true;
            case sbyte v: number = v; return true;
            case ushort v: number = v; return true;
            case short v: number = v; return true;
            case uint v: number = v; return true;
            case int v: number = v; return true;
            case long v: number = v; return true;
            case ulong v when v <= long.MaxValue: number = (long)v; return true;
            case ulong: number = long.MaxValue; return true;   // out of any range we accept; callers report it
            default: number = 0; return false;
        }
    }

    private static InvalidDataException Missing(string key, string source, string expected) =>
        new($"{source}: metadata '{key}' is missing, expected {expected}.");

    private static InvalidDataException WrongType(string key, string source, object value, string expected) =>
        new($"{source}: metadata '{key}' is {Describe(value)}, expected {expected}.");
}
