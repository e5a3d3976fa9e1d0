using System.Globalization;
using System.Reflection;
using Xunit;
using Xunit.Sdk;

namespace Hip.GpuRunner;

/// <summary>Finds [Fact] and [Theory] methods by reflection, expanding each theory into its data rows.</summary>
internal static class TestDiscovery
{
    public static IEnumerable<TestCase> Find(Assembly assembly)
    {
        var classes = assembly.GetExportedTypes()
            .Where(t => t.IsClass && !t.IsAbstract && !t.ContainsGenericParameters)
            .OrderBy(t => t.FullName, StringComparer.Ordinal);
        foreach (var type in classes)
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).OrderBy(m => m.MetadataToken))
            {
                var fact = method.GetCustomAttribute<FactAttribute>();   // TheoryAttribute derives from FactAttribute
                if (fact is null)
                    continue;
                foreach (var test in Expand(type, method, fact))
                    yield return test;
            }
    }

    private static IEnumerable<TestCase> Expand(Type type, MethodInfo method, FactAttribute fact)
    {
        if (fact is not TheoryAttribute)
        {
            yield return Create(type, method, [], fact.Skip);
            yield break;
        }
        foreach (var data in method.GetCustomAttributes<DataAttribute>())
        {
            IEnumerable<object?[]> rows;
            Exception? error = null;
            try
            {
                rows = data.GetData(method).ToList();
            }
            catch (Exception e)
            {
                rows = [];
                error = e;
            }
            if (error is not null)
            {
                // A case that fails when run, so a broken data source is reported rather than skipped silently.
                yield return Create(type, method, [], fact.Skip ?? data.Skip) with { DiscoveryError = error };
                continue;
            }
            foreach (var row in rows)
                yield return Create(type, method, row, fact.Skip ?? data.Skip);
        }
    }

    private static TestCase Create(Type type, MethodInfo method, object?[]? row, string? skip)
    {
        row ??= [null];
        var arguments = Convert(method, row);
        string list = row.Length == 0 ? "" : "(" + string.Join(", ", method.GetParameters().Zip(arguments, (p, v) => $"{p.Name}: {Format(v)}")) + ")";
        return new TestCase($"{type.Name}.{method.Name}{list}", $"{type.FullName}.{method.Name}{list}", type, method, arguments, skip);
    }

    // The conversions xunit makes for attribute data: enums from integers, numeric widening, optional parameters.
    private static object?[] Convert(MethodInfo method, object?[]? row)
    {
        row ??= [null];   // [InlineData(null)] hands over a null array, not an array holding null
        var parameters = method.GetParameters();
        row = PackParams(parameters, row);
        if (row.Length > parameters.Length)
            return row;   // the call reports the mismatch
        var arguments = new object?[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            var type = Nullable.GetUnderlyingType(parameters[i].ParameterType) ?? parameters[i].ParameterType;
            object? value = i < row.Length ? row[i] : parameters[i].HasDefaultValue ? parameters[i].DefaultValue : Type.Missing;
            arguments[i] = value == Type.Missing ? value : ConvertValue(value, type);
        }
        return arguments;
    }

    // one attribute value to the parameter's (or params element's) type: as it is when it fits, enums from integers,
    // numeric widening
    private static object? ConvertValue(object? value, Type type) =>
        value is null || type.IsInstanceOfType(value) ? value
        : type.IsEnum ? Enum.ToObject(type, value)
        : value is IConvertible && typeof(IConvertible).IsAssignableFrom(type) ? System.Convert.ChangeType(value, type, CultureInfo.InvariantCulture)
        : value;

    // A params array (`params WeightType[] types`) takes the row's trailing values, as xunit packs them; a row that
    // already hands over the array (or null) is left alone.
    private static object?[] PackParams(ParameterInfo[] parameters, object?[] row)
    {
        if (parameters.Length == 0 || !parameters[^1].IsDefined(typeof(ParamArrayAttribute), false))
            return row;
        int fixedCount = parameters.Length - 1;
        var arrayType = parameters[^1].ParameterType;
        if (row.Length == parameters.Length && (row[^1] is null || arrayType.IsInstanceOfType(row[^1])))
            return row;
        if (row.Length < fixedCount)
            return row;
        var elementType = arrayType.GetElementType()!;
        var packed = Array.CreateInstance(elementType, row.Length - fixedCount);
        for (int i = 0; i < packed.Length; i++)
            packed.SetValue(ConvertValue(row[fixedCount + i], elementType), i);
        return [.. row.Take(fixedCount), packed];
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        Type t => $"typeof({t.Name})",
        Array a => "[" + string.Join(", ", a.Cast<object?>().Select(Format)) + "]",
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "?",
    };
}
