#!/usr/bin/env bash
# On a GPU machine: attention-only latency of our HiP, our dense kernel and PyTorch SDPA (flash, GQA) at Llama-3.1-8B
# shapes (32 query heads, 8 KV heads, head dim 128, batch 1), in one call; prints a table and keeps the JSON.
#   eng/gpu-bench.sh BENCH [OUT_DIR]     BENCH: the published artifacts/bench/Hip.Bench
set -uo pipefail
bench=${1:?usage: eng/gpu-bench.sh BENCH [OUT_DIR]}
out=${2:-.}
here=$(dirname "$0")
prefill=${PREFILL:-8192 32768 131072}
decode=${DECODE:-8192 32768 131072 524288 1048576}
log="$out/attention.json.txt"
: > "$log"
run() { timeout "${CASE_TIMEOUT:-240}" "$bench" attention "$@" >> "$log" 2>&1 || echo "{\"error\": \"exit $? (timeout or failure)\", \"args\": \"$*\"}" >> "$log"; }
for t in $prefill; do
  runs=$([ "$t" -ge 131072 ] && echo 3 || echo 5)
  run --method hip --phase prefill --context "$t" --warmup 1 --runs "$runs"
  run --method dense --phase prefill --context "$t" --warmup 1 --runs "$runs"
done
for t in $decode; do
  run --method hip --phase decode --context "$t" --warmup 3 --runs 20
  run --method dense --phase decode --context "$t" --warmup 3 --runs 20
done
python3 "$here/../bench/sdpa_bench.py" --prefill "$(echo $prefill | tr ' ' ,)" --decode "$(echo $decode | tr ' ' ,)" >> "$log" 2>&1
python3 "$here/../bench/summarize.py" "$log"
