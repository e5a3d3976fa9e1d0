using System.CommandLine;
using Hip.Inference;
using Hip.Kernels;
using Hip.Samples;

/// <summary>The sample's command line (System.CommandLine: <c>--help</c> lists the options).</summary>
internal sealed record CodebaseAgentCommandLine
{
    public string Folder { get; init; } = ".";
    public string ModelPath { get; init; } = SampleCommandLine.DefaultModel;
    public int? ContextLength { get; init; }
    public AttentionKind Attention { get; init; } = AttentionKind.Dense;
    public HipAttentionOptions Hip { get; init; } = new();
    public DeviceKind Device { get; init; } = DeviceKind.Auto;
    public IReadOnlyList<string> Questions { get; init; } = [];
    public int MaxTokens { get; init; } = 256;
    public float Temperature { get; init; }

    /// <summary>The options, for --help and parsing.</summary>
    internal static RootCommand Create() => new Definition();

    /// <summary>The arguments, or null when the program is done with <paramref name="exitCode"/> (--help: 0; a bad command line: 2).</summary>
    public static CodebaseAgentCommandLine? Parse(string[] args, out int exitCode)
    {
        var d = new Definition();
        if (SampleCommandLine.Parse(d, args, out exitCode) is not { } parse)
            return null;
        var hip = new HipAttentionOptions();
        var hipGiven = d.HipOptions.Where(h => parse.Given(h.Option)).ToList();
        foreach (var h in hipGiven)
            hip = h.Set(hip, parse.GetValue(h.Option));
        var result = new CodebaseAgentCommandLine
        {
            Folder = parse.GetValue(d.Folder)!,
            ModelPath = parse.GetValue(d.Model)!,
            ContextLength = parse.GetValue(d.Context),
            Attention = parse.GetValue(d.Attention),
            Hip = hip,
            Device = parse.GetValue(d.Device),
            Questions = parse.GetValue(d.Question) ?? [],
            MaxTokens = parse.GetValue(d.MaxTokens),
            Temperature = parse.GetValue(d.Temperature),
        };
        try
        {
            if (result.MaxTokens <= 0)
                throw new ArgumentException("--max-tokens must be > 0.");
            if (hipGiven.Count > 0 && result.Attention != AttentionKind.Hip)
                throw new ArgumentException($"The --hip-* options ({string.Join(", ", hipGiven.Select(h => h.Option.Name))}) need --attention hip.");
            if (result.Attention == AttentionKind.Hip)
                result.Hip.Validate();
        }
        catch (ArgumentException e)
        {
            // HipAttentionOptions names its property: name the option too
            string? option = d.HipOptions.FirstOrDefault(h => h.Property == e.ParamName)?.Option.Name;
            exitCode = SampleCommandLine.Fail(d, option is null ? e.Message : $"{option}: {e.Message}");
            return null;
        }
        return result;
    }

    private sealed class Definition : RootCommand
    {
        private static readonly CodebaseAgentCommandLine s_defaults = new();
        private static readonly HipAttentionOptions s_hip = new();

        public readonly Argument<string> Folder = new("FOLDER") { Description = "The folder loaded into the context.", DefaultValueFactory = _ => s_defaults.Folder };
        public readonly Option<string[]> Question = new("--question") { Description = "A question (repeat for more); without one, questions are read from stdin until an empty line." };
        public readonly Option<int> MaxTokens = new("--max-tokens") { Description = "Most tokens per answer.", DefaultValueFactory = _ => s_defaults.MaxTokens };
        public readonly Option<float> Temperature = new("--temperature") { Description = "Sampling temperature (0: greedy).", DefaultValueFactory = _ => s_defaults.Temperature };
        public readonly Option<string> Model = new("--model") { Description = "The model file; HIP_MODEL=PATH also names one.", DefaultValueFactory = _ => SampleCommandLine.DefaultModel };
        public readonly Option<int?> Context = new("--context") { Description = "KV-cache positions (default: sized to what the folder needs, as memory allows)." };
        public readonly Option<DeviceKind> Device = new("--device") { Description = "CUDA, the CPU accelerator, or Auto (CUDA when present; HIP_DEVICE=cuda|cpu forces one).", DefaultValueFactory = _ => s_defaults.Device };
        public readonly Option<AttentionKind> Attention = new("--attention") { Description = "Dense or HiP sparse attention (keeps long contexts fast).", DefaultValueFactory = _ => s_defaults.Attention };

        // --hip-* (need --attention hip): the option, the HipAttentionOptions property it sets
        public readonly HipOption[] HipOptions =
        [
            new(Hip("--hip-k", s_hip.K, "keys kept per query block"), nameof(s_hip.K), (h, v) => h with { K = v }),
            new(Hip("--hip-window", s_hip.WindowTokens, "last keys always attended"), nameof(s_hip.WindowTokens), (h, v) => h with { WindowTokens = v }),
            new(Hip("--hip-sink", s_hip.SinkTokens, "first keys always attended"), nameof(s_hip.SinkTokens), (h, v) => h with { SinkTokens = v }),
            new(Hip("--hip-block-q", s_hip.BlockSizeQ, "queries per query block"), nameof(s_hip.BlockSizeQ), (h, v) => h with { BlockSizeQ = v }),
            new(Hip("--hip-block-k", s_hip.BlockSizeK, "keys per key block"), nameof(s_hip.BlockSizeK), (h, v) => h with { BlockSizeK = v }),
            new(Hip("--hip-stride-q", s_hip.BlockStrideQ, "every n-th query of a block scores the branches"), nameof(s_hip.BlockStrideQ), (h, v) => h with { BlockStrideQ = v }),
            new(Hip("--hip-stride-k", s_hip.BlockStrideK, "every n-th key of a representative block is scored"), nameof(s_hip.BlockStrideK), (h, v) => h with { BlockStrideK = v }),
            new(Hip("--hip-refresh", s_hip.RefreshInterval, "decode steps between mask refreshes"), nameof(s_hip.RefreshInterval), (h, v) => h with { RefreshInterval = v }),
            new(Hip("--hip-dense-layers", s_hip.DenseLayers, "first layers with dense attention"), nameof(s_hip.DenseLayers), (h, v) => h with { DenseLayers = v }),
        ];

        public Definition() : base(
            "Loads FOLDER into the context, honouring .gitignore files and skipping binaries, then answers each --question, or " +
            "questions read from stdin until an empty line. Exit codes: 0 done, 1 error, 2 usage, 3 the folder does not fit the context.")
        {
            // an unknown option would otherwise be taken for the folder (a folder named -x is ./-x)
            Folder.Validators.Add(result =>
            {
                if (result.Tokens is [{ Value: ['-', ..] value }])
                    result.AddError($"Unrecognized command or argument '{value}'.");
            });
            Arguments.Add(Folder);
            foreach (var option in new Option[] { Question, MaxTokens, Temperature, Model, Context, Device, Attention })
                Options.Add(option);
            foreach (var h in HipOptions)
                Options.Add(h.Option);
        }

        private static Option<int> Hip(string name, int fallback, string what) =>
            new(name) { Description = $"HiP: {what}.", DefaultValueFactory = _ => fallback };
    }

    private sealed record HipOption(Option<int> Option, string Property, Func<HipAttentionOptions, int, HipAttentionOptions> Set);
}
