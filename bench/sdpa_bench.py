#!/usr/bin/env python3
"""Attention-only latency of PyTorch scaled_dot_product_attention (flash backend, GQA) at Llama-3.1-8B shapes.

The baseline for `Hip.Bench attention`: same shapes (batch 1, 32 query heads, 8 KV heads, head dim 128), same GPU, same
call. Prints one JSON object per case: {"method":"sdpa-flash","phase":...,"context":...,"ms":median}.
Usage: python3 bench/sdpa_bench.py [--dtype bf16|fp16] [--prefill 8192,32768,131072] [--decode 8192,...]
"""
import argparse, json, statistics, torch
from torch.nn.attention import SDPBackend, sdpa_kernel
import torch.nn.functional as F


def median_ms(fn, warmup=3, runs=20):
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
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dtype", default="bf16", choices=["bf16", "fp16"])
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--kv-heads", type=int, default=8)
    ap.add_argument("--head-dim", type=int, default=128)
    ap.add_argument("--prefill", default="8192,32768,131072")
    ap.add_argument("--decode", default="8192,32768,131072,524288,1048576")
    a = ap.parse_args()
    dtype = torch.bfloat16 if a.dtype == "bf16" else torch.float16
    dev = torch.device("cuda")
    gpu = torch.cuda.get_device_name(0)
    g = torch.Generator(device=dev).manual_seed(0)
    cases = [("prefill", int(t)) for t in a.prefill.split(",") if t] + [("decode", int(t)) for t in a.decode.split(",") if t]
    for phase, t in cases:
        tq = t if phase == "prefill" else 1
        try:
            q = torch.randn(1, a.heads, tq, a.head_dim, device=dev, dtype=dtype, generator=g)
            k = torch.randn(1, a.kv_heads, t, a.head_dim, device=dev, dtype=dtype, generator=g)
            v = torch.randn(1, a.kv_heads, t, a.head_dim, device=dev, dtype=dtype, generator=g)
            with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
                fn = lambda: F.scaled_dot_product_attention(q, k, v, is_causal=(phase == "prefill"), enable_gqa=True)
                runs = 5 if (phase == "prefill" and t >= 131072) else 20
                ms = median_ms(fn, runs=runs)
            print(json.dumps({"method": "sdpa-flash", "dtype": a.dtype, "phase": phase, "context": t, "heads": a.heads,
                              "kvHeads": a.kv_heads, "headDim": a.head_dim, "ms": round(ms, 4), "gpu": gpu}), flush=True)
            del q, k, v
            torch.cuda.empty_cache()
        except Exception as e:  # out of memory or an unsupported backend: report, don't hide
            print(json.dumps({"method": "sdpa-flash", "phase": phase, "context": t, "error": str(e)[:200]}), flush=True)


if __name__ == "__main__":
    main()
