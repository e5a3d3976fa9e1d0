using System.Globalization;
using Hip.Inference;
using Hip.Kernels;

/// <summary>The sample's command line.</summary>
internal sealed record CommandLine
{
    public string Folder { get; init; } = ".";
    public string ModelPath { get; init; } = Path.Combine(AppContext.BaseDirectory, "models", "stories260K", "stories260K.gguf");
    public int? ContextLength { get; init; }
    public AttentionKind Attention { get; init; } = AttentionKind.Dense;
    public HipAttentionOptions Hip { get; init; } = new();
    public DeviceKind Device { get; init; } = DeviceKind.Auto;
    public IReadOnlyList<string> Questions { get; init; } = [];
    public int MaxTokens { get; init; } = 256;
    public float Temperature { get; init; }

    private const string Usage = """
        usage: Hip.Samples.CodebaseAgent [FOLDER] [--question TEXT]... [--max-tokens N] [--temperature T]
                                         [--model PATH] [--context N] [--device auto|cuda|cpu]
                                         [--attention dense|hip] [--hip-k N] [--hip-window N] [--hip-sink N] [--hip-block-q N]
                                         [--hip-block-k N] [--hip-stride-q N] [--hip-stride-k N] [--hip-refresh N] [--hip-dense-layers N]
        Loads FOLDER (default: the current one) into the context, honouring .gitignore files and skipping binaries, then
        answers each --question, or questions read from stdin until an empty line. The model defaults to the embedded
        stories260K; HIP_MODEL=PATH also names one. Without --context the context is sized to what the folder needs
        (as memory allows); --context N fixes it. Exit codes: 0 done, 1 error, 2 usage, 3 the folder does not fit the context.
        """;

    public static CommandLine? Parse(string[] args)
    {
        var result = new CommandLine();
        if (Environment.GetEnvironmentVariable("HIP_MODEL") is { Length: > 0 } envModel)
            result = result with { ModelPath = envModel };
        var questions = new List<string>();
        bool folderGiven = false, hipGiven = false;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value.");
                int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
                HipAttentionOptions Hip(Func<HipAttentionOptions, HipAttentionOptions> change)
                {
                    hipGiven = true;
                    return change(result.Hip);
                }
                if (args[i] == "--question")
                {
                    questions.Add(Next());
                    continue;
                }
                if (!args[i].StartsWith('-'))
                {
                    result = !folderGiven ? result with { Folder = args[i] }
                        : throw new FormatException($"Only one folder, please: '{result.Folder}' and '{args[i]}'.");
                    folderGiven = true;
                    continue;
                }
                result = args[i] switch
                {
                    "--max-tokens" => result with { MaxTokens = NextInt() },
                    "--temperature" => result with { Temperature = float.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--model" => result with { ModelPath = Next() },
                    "--context" => result with { ContextLength = NextInt() },
                    "--device" => result with { Device = Enum.Parse<DeviceKind>(Next(), ignoreCase: true) },
                    "--attention" => result with { Attention = Enum.Parse<AttentionKind>(Next(), ignoreCase: true) },
                    "--hip-k" => result with { Hip = Hip(h => h with { K = NextInt() }) },
                    "--hip-window" => result with { Hip = Hip(h => h with { WindowTokens = NextInt() }) },
                    "--hip-sink" => result with { Hip = Hip(h => h with { SinkTokens = NextInt() }) },
                    "--hip-block-q" => result with { Hip = Hip(h => h with { BlockSizeQ = NextInt() }) },
                    "--hip-block-k" => result with { Hip = Hip(h => h with { BlockSizeK = NextInt() }) },
                    "--hip-stride-q" => result with { Hip = Hip(h => h with { BlockStrideQ = NextInt() }) },
                    "--hip-stride-k" => result with { Hip = Hip(h => h with { BlockStrideK = NextInt() }) },
                    "--hip-refresh" => result with { Hip = Hip(h => h with { RefreshInterval = NextInt() }) },
                    "--hip-dense-layers" => result with { Hip = Hip(h => h with { DenseLayers = NextInt() }) },
                    "-h" or "--help" => throw new FormatException(""),
                    _ => throw new FormatException($"Unknown option '{args[i]}'."),
                };
            }
            if (result.MaxTokens <= 0)
                throw new FormatException("--max-tokens must be > 0.");
            if (hipGiven && result.Attention != AttentionKind.Hip)
                throw new FormatException("The --hip-* options need --attention hip.");
            if (result.Attention == AttentionKind.Hip)
                result.Hip.Validate();
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            if (e.Message.Length > 0)
                Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine(Usage);
            return null;
        }
        return result with { Questions = questions };
    }
}
