using System.Reflection;

namespace Hip.GpuRunner;

/// <summary>One test to run: a [Fact], or one data row of a [Theory].</summary>
/// <param name="Name">Class.Method(arguments), as printed.</param>
/// <param name="FullName">Namespace.Class.Method(arguments), which --filter matches.</param>
/// <param name="Arguments">The row's values, already converted to the parameter types; empty for a fact.</param>
/// <param name="SkipReason">Set when the fact or data row is skipped.</param>
/// <param name="DiscoveryError">Set when the theory's data could not be read: the case fails with it when run.</param>
internal sealed record TestCase(string Name, string FullName, Type Class, MethodInfo Method, object?[] Arguments, string? SkipReason,
    Exception? DiscoveryError = null);
