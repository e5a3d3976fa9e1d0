using System.Globalization;
using Hip.Kernels;

namespace Hip.Bench;

/// <summary>"--name value" options and "--flag" switches after the command word; unknown names are an error.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public CommandLine(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            if (!list[i].StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"Unexpected argument '{list[i]}': options are '--name value'.");
            bool hasValue = i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal);
            _values[list[i]] = hasValue ? list[++i] : null;
        }
    }

    public int Int(string name, int fallback)
    {
        string? text = Text(name);
        if (text is null)
            return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value : throw new UsageException($"{name} '{text}' is not an integer.");
    }

    /// <summary>The integer after <paramref name="name"/>, or null when the option is absent.</summary>
    public int? IntOrNull(string name) => Text(name) is null ? null : Int(name, 0);

    public double Double(string name, double fallback)
    {
        string? text = Text(name);
        if (text is null)
            return fallback;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value : throw new UsageException($"{name} '{text}' is not a number.");
    }

    public string Choice(string name, string fallback, params string[] allowed)
    {
        string value = Text(name) ?? fallback;
        return allowed.Contains(value) ? value : throw new UsageException($"{name} '{value}' is not one of {string.Join(", ", allowed)}.");
    }

    public bool Flag(string name)
    {
        _read.Add(name);
        return _values.ContainsKey(name);
    }

    /// <summary>HiP options from --k, --block-size-q, ... (defaults: <see cref="HipAttentionOptions"/>), validated.</summary>
    public HipAttentionOptions HipOptions()
    {
        var d = new HipAttentionOptions();
        var options = new HipAttentionOptions
        {
            K = Int("--k", d.K),
            BlockSizeQ = Int("--block-size-q", d.BlockSizeQ),
            BlockStrideQ = Int("--block-stride-q", d.BlockStrideQ),
            BlockSizeK = Int("--block-size-k", d.BlockSizeK),
            BlockStrideK = Int("--block-stride-k", d.BlockStrideK),
            SinkTokens = Int("--sink", d.SinkTokens),
            WindowTokens = Int("--window", d.WindowTokens),
            RefreshInterval = Int("--refresh-interval", d.RefreshInterval),
            DenseLayers = Int("--dense-layers", d.DenseLayers),
            MaxK = Int("--max-k", d.MaxK),
        };
        try
        {
            return options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>Fails on any option no command asked for (a typo would otherwise be ignored silently).</summary>
    public void ThrowIfUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"Unknown option(s): {string.Join(", ", unknown)}.");
    }

    /// <summary>The value after <paramref name="name"/>, or null when the option is absent.</summary>
    public string? Text(string name)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out string? value))
            return null;
        return value ?? throw new UsageException($"{name} needs a value.");
    }
}

/// <summary>A bad command line: the message is printed with the usage.</summary>
internal sealed class UsageException(string message) : Exception(message);
