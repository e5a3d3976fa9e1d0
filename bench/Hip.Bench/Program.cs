using Hip.Bench;

// Hip.Bench: HiP attention quality on synthetic layers or one layer of a real model, and attention timing on a device.
//   quality   --dataset needles|random-walk --context T --heads H --kv-heads G --head-dim D --k K --seed S
//             [--query-blocks N] [--threads N] [HiP options]                            → one JSON object on stdout
//   quality   --dataset model [--model PATH] [--text PATH] [--layer L] [--context T]  (shape from the model; Q/K/V
//             captured from one prefill pass on the CPU accelerator)                    → one JSON object on stdout
//   attention --method hip|dense --phase prefill|decode --context T --heads H --kv-heads G --head-dim D
//             --device cuda|cpu [--warmup N] [--runs N] [--check] [HiP options]      → one JSON object on stdout
//   generate  --model PATH | --synthetic llama-3.2-1b|llama-3.1-8b|qwen2.5-7b|tiny --type f16|bf16|q8_0|q4_k_m
//             --context 512,32K,128K --attention dense|hip --kv f32|f16 --decode-steps N  → one JSON object on stdout
//   matvec    [--types f16,q4_K,...] [--shapes OUTxIN,...] [--device cuda|cpu] [--warmup N] [--runs N] [--launches N]
//             → GB/s of the decode mat-vec per weight type on the 8B shapes vs a device copy, JSON on stdout
// HiP options: --k --block-size-q --block-stride-q --block-size-k --block-stride-k --sink --window
//              --refresh-interval --dense-layers --max-k (defaults: HipAttentionOptions, HIP.md §6.1).
const string Usage = """
    usage: Hip.Bench quality   [--dataset needles|random-walk|model] [--context T] [--heads H] [--kv-heads G] [--head-dim D]
                               [--k K] [--seed S] [--query-blocks N] [--threads N] [--needles N] [--needle-width W]
                               [--needle-strength A] [--walk-correlation R] [--query-strength B] [--timings] [HiP options]
                               model: [--model PATH] [--text PATH] [--layer L]
           --dataset model runs a model file (default: the repository's models/stories260K/stories260K.gguf) over a text
           (default: a built-in story, repeated to fill the context) in one prefill pass on the CPU and evaluates layer L
           (default: the middle one) with the model's heads, KV heads and head dim. --context defaults to, and may not
           exceed, the model's trained context (512 for stories260K). At T=512 the default HiP options keep every middle
           block (JSON "prunes": false, "middleBlocks" ≤ K / block-size-k); --k 32 --window 64 --sink 16 --block-size-q 32
           make HiP prune. One seed gives the same JSON on every run; --timings adds the (varying) seconds to it.
           Hip.Bench attention [--method hip|dense] [--phase prefill|decode] [--context T] [--heads H] [--kv-heads G]
                               [--head-dim D] [--device cuda|cpu] [--warmup N] [--runs N] [--check] [HiP options]
           Hip.Bench generate  (--model PATH | --synthetic llama-3.2-1b|llama-3.1-8b|qwen2.5-7b|tiny [--type f16|bf16|q8_0|q4_k_m]
                               [--cache DIR]) [--context 512,32K,128K] [--attention dense|hip] [--kv f32|f16]
                               [--decode-steps N (>= 32, default 64)] [--prefill-limit SECONDS (default 300)]
                               [--prefill-chunk N] [--device auto|cuda|cpu] [--seed S] [--out FILE] [--prepare-only] [HiP options]
           --synthetic writes a random-weight GGUF of that shape once into --cache (default ~/.cache/hip-agents/synthetic)
           and reuses it (--prepare-only: only that, no run). Per context T: prefill tokens/s over a random T-token prompt, then decode tokens/s at depth T
           (median of the steps, each timed to the sampled id on the host). A prefill that runs past --prefill-limit is
           cancelled and decode is measured at the depth it reached ("depthNote" in the JSON).
           Hip.Bench matvec    [--types f16,bf16,q8_0,q4_K,q6_K,...] [--shapes 4096x4096,...] [--device cuda|cpu]
                               [--warmup N] [--runs N] [--launches N]
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
        "generate" => GenerateCommand.Run(options),
        "matvec" => MatVecCommand.Run(options),
        "gemm" => GemmCommand.Run(options),
        "flash" => FlashCommand.Run(options),
        _ => throw new UsageException($"Unknown command '{args[0]}'."),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Usage);
    return 2;
}
