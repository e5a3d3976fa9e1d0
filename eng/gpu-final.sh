#!/bin/bash
# Lean GPU call: 8B-shaped Q4_K_M and F16 decode with HiP (graph), then the CUDA test suite.
cd "$(dirname "$0")/.."
R=${RUNNER:-artifacts/run2/Hip.GpuRunner}; chmod +x $R
OUT=${OUT:-.}
export PYTHONUNBUFFERED=1 HIP_DEVICE=cuda
L=$OUT/all.log
S() { python3 -c "
import json,sys
try: d=json.load(open('$OUT/$1.json'))
except Exception as e: print('$1: no JSON', e); sys.exit()
print('$1', {k:d.get(k) for k in ['loadSeconds','warmupSeconds','decodeGraph','error']})
for c in d.get('contexts',[]):
  print('  ', c.get('context'), 'prefill tok/s', (c.get('prefill') or {}).get('tokensPerSecond'), 'decode tok/s', (c.get('decode') or {}).get('tokensPerSecond'), (c.get('decode') or {}).get('medianMs'), (c.get('decode') or {}).get('depth'), c.get('decodeGraph'), c.get('error'))
"; }
date -u
G="--synthetic llama-3.1-8b --cache /tmp/syn --decode-steps 32 --kv f16 --attention hip"
timeout 70 $R bench generate $G --type q4_k_m --context 512,32768 --prefill-limit 15 > $OUT/q4.json 2>> $L; echo "q4 rc=$?"; S q4
timeout 60 $R bench generate $G --type f16 --context 512 > $OUT/f16.json 2>> $L; echo "f16 rc=$?"; S f16
timeout 110 $R > $OUT/tests.log 2>&1; echo "tests rc=$?"; grep -E "^FAIL|passed" $OUT/tests.log | cut -c1-300 | tail -12
