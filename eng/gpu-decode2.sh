#!/bin/bash
# Short decode GPU call: 8B-shaped Q4_K_M and F16 decode with HiP (graph), one eager profile, stories260K, CUDA tests.
cd "$(dirname "$0")/.."
R=${RUNNER:-artifacts/run2/Hip.GpuRunner}; chmod +x $R
OUT=${OUT:-.}
export PYTHONUNBUFFERED=1 HIP_DEVICE=cuda
L=$OUT/all.log
S() { python3 -c "
import json,sys
try: d=json.load(open('$OUT/$1.json'))
except Exception as e: print('$1: no JSON', e); sys.exit()
print('$1', {k:d.get(k) for k in ['loadSeconds','warmupSeconds','decodeGraph','error']}, 'mem', {k:d.get('memory',{}).get(k) for k in ['usedByLoadBytes','weightBytes','kvCacheBytes']})
for c in d.get('contexts',[]):
  print('  ', c.get('context'), 'prefill tok/s', (c.get('prefill') or {}).get('tokensPerSecond'), 'decode tok/s', (c.get('decode') or {}).get('tokensPerSecond'), (c.get('decode') or {}).get('medianMs'), c.get('decodeGraph'), c.get('error'), c.get('depthNote'))
  for r in (c.get('profile') or [])[:12]: print('      %-34s %8.4f ms %6.2f launches' % (r['label'], r['msPerStep'], r['launchesPerStep']))
"; }
date -u
for f in artifacts/ptx/*.ptx; do [ -f "$f" ] && ptxas -arch=sm_90 -v -o /dev/null "$f" 2>&1 | grep -E "registers" | head -1 | sed "s|^|$(basename $f): |"; done
timeout 30 $R bench matvec --device cuda --types f16,q4_K,q6_K --shapes 4096x4096,1024x4096,14336x4096,4096x14336,128256x4096 > $OUT/matvec.json 2>> $L; echo "matvec rc=$?"; grep -E "GB/s" $L | tail -16
G="--synthetic llama-3.1-8b --cache /tmp/syn --decode-steps 32 --kv f16"
timeout 125 $R bench generate $G --type q4_k_m --context 512,32768,131072 --attention hip --prefill-limit 53 > $OUT/gen8b_q4_hip.json 2>> $L; echo "q4 hip rc=$?"; S gen8b_q4_hip
timeout 90 $R bench generate $G --type f16 --context 512,32768 --attention hip --prefill-limit 30 > $OUT/gen8b_f16.json 2>> $L; echo "f16 rc=$?"; S gen8b_f16
HIP_PROFILE=1 timeout 45 $R bench generate $G --type q4_k_m --context 512 --attention hip > $OUT/prof8b_q4.json 2>> $L; echo "q4 profile rc=$?"; S prof8b_q4
timeout 25 $R bench generate --model models/stories260K/stories260K.gguf --context 64,448 --attention dense --decode-steps 60 > $OUT/gen_stories.json 2>> $L; echo "stories rc=$?"; S gen_stories
timeout 140 $R > $OUT/tests.log 2>&1; echo "tests rc=$?"; grep -E "^FAIL|passed" $OUT/tests.log | cut -c1-400 | tail -15
