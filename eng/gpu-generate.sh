#!/usr/bin/env bash
# On a GPU machine: end-to-end prefill and decode speed on random-weight GGUFs of the Llama-3.1-8B shape, F16 and
# Q4_K_M, at contexts 512, 32K and 128K, dense and HiP attention; prints a table and keeps the JSON under OUT.
#   eng/gpu-generate.sh BENCH [OUT_DIR]     BENCH: the published artifacts/bench/Hip.Bench
# Environment (defaults): SHAPE (llama-3.1-8b)  TYPES ("f16 q4_k_m")  ATTENTION ("dense hip")  CONTEXTS (512,32768,131072)
#   KV (f32)  STEPS (64 decode steps)  PREFILL_LIMIT (60 s: a longer prefill is cut and decode measured at the depth reached)
#   CASE_TIMEOUT (240 s per run)  DEVICE (cuda)  CACHE (~/.cache/hip-agents/synthetic).
# The synthetic files are written once per machine (the 8B F16 one is 15 GB); a run of all four cases can exceed one
# 10-minute device call: split it with TYPES=f16 and TYPES=q4_k_m on the same warm machine.
set -uo pipefail
bench=${1:?usage: eng/gpu-generate.sh BENCH [OUT_DIR]}
out=${2:-.}
mkdir -p "$out"
shape=${SHAPE:-llama-3.1-8b}
cache=${CACHE:-$HOME/.cache/hip-agents/synthetic}
log="$out/generate.log"
: >> "$log"
for type in ${TYPES:-f16 q4_k_m}; do
  echo "== $shape $type: preparing the file" | tee -a "$log"
  "$bench" generate --synthetic "$shape" --type "$type" --cache "$cache" --prepare-only --out "$out/prepare-$shape-$type.json" >> "$log" 2>&1 \
    || { echo "prepare $type failed (see $log)"; continue; }
  for attention in ${ATTENTION:-dense hip}; do
    json="$out/generate-$shape-$type-$attention.json"
    echo "== $shape $type $attention" | tee -a "$log"
    rm -f "$json" "$json.error"
    timeout "${CASE_TIMEOUT:-240}" "$bench" generate --synthetic "$shape" --type "$type" --cache "$cache" \
      --context "${CONTEXTS:-512,32768,131072}" --attention "$attention" --kv "${KV:-f32}" --decode-steps "${STEPS:-64}" \
      --prefill-limit "${PREFILL_LIMIT:-60}" --device "${DEVICE:-cuda}" --out "$json" >> "$log" 2>&1 \
      || { code=$?; [ -s "$json" ] || echo "{\"error\": \"exit $code (timeout or failure; see generate.log)\", \"type\": \"$type\", \"attention\": \"$attention\"}" > "$json.error"; }
  done
done
python3 - "$out" <<'PY'
import glob, json, os, sys
rows = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "generate-*.json*"))):
    r = json.load(open(path))
    if "contexts" not in r:
        rows.append(f"| {r.get('type','?')} | {r.get('attention','?')} | - | error: {r.get('error','?')[:90]} | | | |")
        continue
    mem = r.get("memory", {})
    for c in r["contexts"]:
        p, d = c.get("prefill") or {}, c.get("decode") or {}
        note = " (cut)" if not p.get("complete", True) else ""
        rows.append(f"| {r['type']} | {r['attention']} | {c['context']} | {r.get('loadSeconds','')} | "
                    f"{p.get('tokensPerSecond','')}{note} | {d.get('depth','')} | {d.get('tokensPerSecond','')} | "
                    f"{mem.get('usedByLoadBytes', 0) / 2**30:.1f} |")
print("| type | attention | context | load s | prefill tok/s | decode depth | decode tok/s | GiB used by load |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
print("\n".join(rows))
PY
