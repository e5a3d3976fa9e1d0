using System.CommandLine;
using System.Reflection;
using Hip.Samples;
using Hip.SemanticKernel;

/// <summary>
/// The sample's command line, checked before the host starts: every key of the "Agent" and "Hip" sections of
/// appsettings.json (<see cref="AgentOptions"/>, <see cref="HipChatClientOptions"/>, found by reflection) is an option
/// of its type, so <c>--help</c> lists them and a misspelt key or a bad value fails at once instead of being ignored.
/// Keys of other sections (<c>--Logging:LogLevel:Default Debug</c>) pass as they are. The host then reads the same
/// arguments as configuration, case-insensitive and with <c>--key=value</c> as well.
/// </summary>
internal static class HostedAgentCommandLine
{
    private static readonly (string Section, Type Type)[] s_sections = [("Agent", typeof(AgentOptions)), ("Hip", typeof(HipChatClientOptions))];

    private static readonly Dictionary<string, string> s_descriptions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Agent:Name"] = "The agent's name.",
        ["Agent:Instructions"] = "The agent's instructions (its system message).",
        ["Agent:Prompt"] = "The one prompt the agent answers.",
        ["Agent:MaxOutputTokens"] = "Most tokens in the answer.",
        ["Agent:Temperature"] = "Sampling temperature (0: greedy).",
        ["Hip:ModelPath"] = "The model file (relative: next to the binary); HIP_MODEL=PATH also names one.",
        ["Hip:Device"] = "CUDA, the CPU accelerator, or Auto (CUDA when present; HIP_DEVICE=cuda|cpu forces one).",
        ["Hip:Attention"] = "Dense or HiP sparse attention.",
        ["Hip:ContextLength"] = "KV-cache positions (default: the model's trained context).",
    };

    /// <summary>The options, for --help and checking.</summary>
    internal static RootCommand Create()
    {
        var root = new RootCommand(
            "A Generic Host app: the Hip chat client injected into a hosted agent that answers one prompt and exits. Options " +
            "override appsettings.json (and the environment, e.g. Agent__Prompt); keys of other sections, such as " +
            "--Logging:LogLevel:Default Debug, pass to the host as they are.")
        {
            TreatUnmatchedTokensAsErrors = false,   // checked in Check: other sections' keys are allowed
        };
        foreach (var (section, type) in s_sections)
            foreach (var (key, valueType) in Keys(section, type))
            {
                var option = (Option)Activator.CreateInstance(typeof(Option<>).MakeGenericType(valueType), $"--{key}", Array.Empty<string>())!;
                option.Description = s_descriptions.GetValueOrDefault(key, $"{type.Name}.{key[(section.Length + 1)..].Replace(':', '.')}.");
                var plain = Nullable.GetUnderlyingType(valueType) ?? valueType;
                option.HelpName = plain.IsEnum ? null : HelpName(plain);   // an enum's help lists its names
                root.Options.Add(option);
            }
        return root;
    }

    /// <summary>False when the program is done with <paramref name="exitCode"/> (--help: 0; a bad command line: 2).</summary>
    public static bool Check(string[] args, out int exitCode)
    {
        var root = Create();
        var names = root.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).ToDictionary(n => n, StringComparer.OrdinalIgnoreCase);
        // System.CommandLine as the host reads them: any case, and --key=value
        var normalized = new List<string>();
        foreach (string arg in args)
        {
            int equals = arg.IndexOf('=');
            string key = equals > 0 ? arg[..equals] : arg;
            if (arg.StartsWith("--", StringComparison.Ordinal) && names.TryGetValue(key, out string? name))
                normalized.AddRange(equals > 0 ? [name, arg[(equals + 1)..]] : [name]);
            else
                normalized.Add(arg);
        }
        if (SampleCommandLine.Parse(root, [.. normalized], out exitCode) is not { } parse)
            return false;
        var unknown = new List<string>();
        var open = Keys("Hip", typeof(HipChatClientOptions), open: true).Select(k => k.Key).ToList();   // collections: any key below
        for (int i = 0; i < parse.UnmatchedTokens.Count; i++)
        {
            string token = parse.UnmatchedTokens[i];
            string key = token.StartsWith("--", StringComparison.Ordinal) ? token[2..].Split('=')[0] : "";
            bool ours = s_sections.Any(s => key.StartsWith(s.Section + ":", StringComparison.OrdinalIgnoreCase));
            if (key.Contains(':') && (!ours || open.Any(o => key.StartsWith(o + ":", StringComparison.OrdinalIgnoreCase))))
            {
                if (!token.Contains('='))
                    i++;   // its value
                continue;
            }
            unknown.Add($"Unrecognized command or argument '{token}'.");
        }
        if (unknown.Count > 0)
        {
            exitCode = SampleCommandLine.Fail(root, [.. unknown]);
            return false;
        }
        return true;
    }

    // "Section:Property[:Property...]" and the option type of each settable property of a simple type; with open, the
    // keys of collections instead, under which configuration takes any key
    private static IEnumerable<(string Key, Type Type)> Keys(string prefix, Type type, bool open = false)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var valueType = property.PropertyType;
            var plain = Nullable.GetUnderlyingType(valueType) ?? valueType;
            string key = $"{prefix}:{property.Name}";
            if (plain.IsEnum || plain.IsPrimitive || plain == typeof(string) || plain == typeof(decimal))
            {
                if (!open)
                    yield return (key, valueType);
            }
            else if (plain.IsClass && !typeof(System.Collections.IEnumerable).IsAssignableFrom(plain))
            {
                foreach (var nested in Keys(key, plain, open))
                    yield return nested;
            }
            else if (open)
                yield return (key, valueType);
        }
    }

    private static string HelpName(Type type) =>
        type == typeof(string) ? "TEXT" : type == typeof(bool) ? "true|false" : type == typeof(float) || type == typeof(double) ? "NUMBER" : "N";
}
