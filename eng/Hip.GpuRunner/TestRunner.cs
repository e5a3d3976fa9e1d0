using System.Diagnostics;
using System.Reflection;
using System.Text;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Hip.GpuRunner;

/// <summary>
/// Runs test cases the way xunit does: a new class instance per test (constructor arguments from class and
/// collection fixtures, or an <see cref="ITestOutputHelper"/>), IAsyncLifetime and IDisposable honoured, tasks awaited.
/// Fixtures are created on first use and disposed when the runner is.
/// </summary>
internal sealed class TestRunner : IAsyncDisposable
{
    private readonly Dictionary<Type, object> _fixtures = [];

    public readonly record struct Result(Exception? Error, TimeSpan Elapsed, string Output);

    public async Task<Result> RunAsync(TestCase test)
    {
        var output = new BufferedOutput();
        var watch = Stopwatch.StartNew();
        try
        {
            if (test.DiscoveryError is not null)
                throw new InvalidDataException($"reading the theory data failed: {test.DiscoveryError.Message}", test.DiscoveryError);
            object? instance = test.Method.IsStatic ? null : await CreateAsync(test.Class, output);
            try
            {
                if (test.Method.ContainsGenericParameters)
                    throw new NotSupportedException("generic test methods are not supported by this runner");
                object? returned = test.Method.Invoke(instance, test.Arguments);
                if (returned is Task task)
                    await task;
                else if (returned is ValueTask valueTask)
                    await valueTask;
            }
            finally
            {
                await DisposeAsync(instance);
            }
            return new Result(null, watch.Elapsed, output.ToString());
        }
        catch (Exception e)
        {
            return new Result(Unwrap(e), watch.Elapsed, output.ToString());
        }
    }

    /// <summary>The message of an assertion; type, message and top frames of anything else.</summary>
    public static string Describe(Exception e)
    {
        if (e is XunitException)
            return e.Message;
        var frames = (e.StackTrace ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(f => !f.TrimStart().StartsWith("at System.Reflection.", StringComparison.Ordinal))
            .Take(8);
        var text = new StringBuilder($"{e.GetType().FullName}: {e.Message.TrimEnd()}");
        foreach (var frame in frames)
            text.Append('\n').Append("    ").Append(frame.Trim());
        if (e.InnerException is { } inner)
            text.Append("\n  inner: ").Append(Describe(inner));
        return text.ToString();
    }

    private async Task<object> CreateAsync(Type type, ITestOutputHelper output)
    {
        var constructor = type.GetConstructors().OrderBy(c => c.GetParameters().Length).FirstOrDefault()
            ?? throw new InvalidOperationException($"{type.Name} has no public constructor.");
        var fixtureTypes = FixtureTypes(type);
        var arguments = new List<object>();
        foreach (var parameter in constructor.GetParameters())
        {
            if (parameter.ParameterType == typeof(ITestOutputHelper))
                arguments.Add(output);
            else if (fixtureTypes.Contains(parameter.ParameterType))
                arguments.Add(await FixtureAsync(parameter.ParameterType));
            else
                throw new InvalidOperationException($"{type.Name}: constructor parameter '{parameter.Name}' ({parameter.ParameterType.Name}) is neither a fixture nor ITestOutputHelper.");
        }
        var instance = constructor.Invoke([.. arguments]);
        if (instance is IAsyncLifetime lifetime)
            await lifetime.InitializeAsync();
        return instance;
    }

    // IClassFixture<T> on the class, ICollectionFixture<T> on its [CollectionDefinition].
    private static HashSet<Type> FixtureTypes(Type type)
    {
        var interfaces = type.GetInterfaces().AsEnumerable();
        if (AttributeName(type, typeof(CollectionAttribute)) is { } name)
        {
            var definition = type.Assembly.GetTypes().FirstOrDefault(t => AttributeName(t, typeof(CollectionDefinitionAttribute)) == name);
            if (definition is not null)
                interfaces = interfaces.Concat(definition.GetInterfaces());
        }
        return interfaces
            .Where(i => i.IsGenericType && (i.GetGenericTypeDefinition() == typeof(IClassFixture<>) || i.GetGenericTypeDefinition() == typeof(ICollectionFixture<>)))
            .Select(i => i.GetGenericArguments()[0])
            .ToHashSet();
    }

    // The name passed to [Collection("name")] or [CollectionDefinition("name")].
    private static string? AttributeName(Type type, Type attribute) =>
        type.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType == attribute)?.ConstructorArguments
            .Select(a => a.Value as string).FirstOrDefault();

    private async Task<object> FixtureAsync(Type type)
    {
        if (!_fixtures.TryGetValue(type, out var fixture))
        {
            fixture = Activator.CreateInstance(type)
                ?? throw new InvalidOperationException($"Cannot create fixture {type.Name}.");
            if (fixture is IAsyncLifetime lifetime)
                await lifetime.InitializeAsync();
            _fixtures[type] = fixture;
        }
        return fixture;
    }

    private static async Task DisposeAsync(object? instance)
    {
        if (instance is IAsyncLifetime lifetime)
            await lifetime.DisposeAsync();
        if (instance is IAsyncDisposable asyncDisposable)
            await asyncDisposable.DisposeAsync();
        else if (instance is IDisposable disposable)
            disposable.Dispose();
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is TargetInvocationException { InnerException: { } inner })
            e = inner;
        return e;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var fixture in _fixtures.Values)
            await DisposeAsync(fixture);
        _fixtures.Clear();
    }

    private sealed class BufferedOutput : ITestOutputHelper
    {
        private readonly StringBuilder _text = new();

        public void WriteLine(string message) => _text.Append("    ").AppendLine(message);
        public void WriteLine(string format, params object[] args) => WriteLine(string.Format(format, args));
        public override string ToString() => _text.ToString();
    }
}
