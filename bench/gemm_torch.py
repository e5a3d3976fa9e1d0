"""torch.matmul (cuBLAS through PyTorch) at the Llama-3.1-8B prefill GEMM shapes: y[T, m] = x[T, k] @ W[m, k]^T.

The reference beside `Hip.Bench gemm` (our P/Invoke of cublasGemmEx, float32 output) on the same device call.
PyTorch's matmul writes bf16/fp16 output (float32 accumulation inside cuBLAS), so it moves slightly fewer bytes.
Median of --runs CUDA-event timings after --warmup calls; one JSON object per line on stdout.
"""
import argparse
import json

import torch

SHAPES = [("q,o", 4096, 4096), ("k,v", 4096, 1024), ("gate,up", 4096, 14336), ("down", 14336, 4096)]


def time_ms(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=8192)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps({"device": torch.cuda.get_device_name(), "torch": torch.__version__, "cuda": torch.version.cuda}))
    for dtype in (torch.bfloat16, torch.float16):
        for name, k, m in SHAPES:
            x = torch.rand(args.rows, k, device="cuda", dtype=dtype) * 2 - 1
            w = torch.rand(m, k, device="cuda", dtype=dtype) * 2 - 1
            ms = time_ms(lambda: torch.matmul(x, w.t()), args.warmup, args.runs)
            flop = 2.0 * args.rows * k * m
            print(json.dumps({"shape": name, "k": k, "m": m, "format": str(dtype).split(".")[-1],
                              "torchMs": round(ms, 4), "torchTflops": round(flop / ms / 1e9, 1)}), flush=True)
            del x, w


if __name__ == "__main__":
    main()
