using Hip.Bench;

// Hip.Bench: HiP attention quality on synthetic layers, and attention timing on a device.
//   quality   --dataset needles|random-walk --context T --heads H --kv-heads G --head-dim D --k K --seed S
//             [--query-blocks N] [--threads N] [HiP options]                            → one JSON object on stdout
//   attention --method hip|dense --phase prefill|decode --context T --heads H --kv-heads G --head-dim D
//             --device cuda|cpu [--warmup N] [--runs N] [--check] [HiP options]      → one JSON object on stdout
// HiP options: --k --block-size-q --block-stride-q --block-size-k --block-stride-k --sink --window
//              --refresh-interval --dense-layers --max-k (defaults: HipAttentionOptions, HIP.md §6.1).
const string Usage = """
    usage: Hip.Bench quality   [--dataset needles|random-walk] [--context T] [--heads H] [--kv-heads G] [--head-dim D]
                               [--k K] [--seed S] [--query-blocks N] [--threads N] [--needles N] [--needle-width W]
                               [--needle-strength A] [--walk-correlation R] [--query-strength B] [HiP options]
           Hip.Bench attention [--method hip|dense] [--phase prefill|decode] [--context T] [--heads H] [--kv-heads G]
                               [--head-dim D] [--device cuda|cpu] [--warmup N] [--runs N] [--check] [HiP options]
    HiP options: --k --block-size-q --block-stride-q --block-size-k --block-stride-k --sink --window
                 --refresh-interval --dense-layers --max-k
    """;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}
try
{
    var options = new CommandLine(args.Skip(1));
    return args[0] switch
    {
        "quality" => QualityCommand.Run(options),
        "attention" => AttentionCommand.Run(options),
        _ => throw new UsageException($"Unknown command '{args[0]}'."),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Usage);
    return 2;
}
