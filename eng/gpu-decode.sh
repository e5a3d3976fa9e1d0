#!/bin/bash
# Decode-speed GPU call: ptxas report of the int8 mat-vec, mat-vec GB/s with int8 activations on and off, the CUDA test
# suite, 8B-shaped Q4_K_M/F16 decode with HiP, and a per-launch profile of eager decode steps (HIP_PROFILE=1).
#   here:  publish the runner to artifacts/run2 (see eng/gpu-check.sh); optional PTX dumps in artifacts/ptx
#   there: bash eng/gpu-decode.sh      (device run with carry artifacts/run2 [artifacts/ptx])
source "$(dirname "$0")/gpu-common.sh"
date -u
for f in artifacts/ptx/*.ptx; do [ -f "$f" ] && ptxas -arch=sm_90 -v -o /dev/null "$f" 2>&1 | grep -E "registers|stack|spill" | head -2 | sed "s|^|$(basename $f): |"; done
M="--device cuda --types q4_K,q6_K,q8_0,f16 --shapes 4096x4096,1024x4096,14336x4096,4096x14336,128256x4096"
timeout 60 $R bench matvec $M > $OUT/matvec_int8.json 2>> $L; echo "matvec int8 rc=$?"
HIP_MATVEC_INT8=0 timeout 60 $R bench matvec $M > $OUT/matvec_float.json 2>> $L; echo "matvec float rc=$?"
python3 - <<PY
import json
a=json.load(open('$OUT/matvec_int8.json')); b=json.load(open('$OUT/matvec_float.json'))
print('copy GB/s', a.get('copyGBs'))
fb={(r['type'],str(r.get('rows')),str(r.get('cols'))):r for r in b['results']}
for r in a['results']:
  k=(r['type'],str(r.get('rows')),str(r.get('cols'))); f=fb.get(k,{})
  print('%-6s %6s x %6s  int8 %7.1f GB/s  float %7.1f GB/s' % (r['type'], r.get('rows'), r.get('cols'), r.get('gbs') or r.get('GBs') or -1, f.get('gbs') or f.get('GBs') or -1))
PY
G="--synthetic llama-3.1-8b --cache /tmp/syn --decode-steps 32 --kv f16"
timeout 100 $R bench generate $G --type q4_k_m --context 512,32768,131072 --attention hip --prefill-limit 40 > $OUT/gen8b_q4_hip.json 2>> $L; echo "q4 hip rc=$?"; S gen8b_q4_hip
HIP_PROFILE=1 timeout 80 $R bench generate $G --type q4_k_m --context 512,32768 --attention hip --prefill-limit 30 > $OUT/prof8b_q4.json 2>> $L; echo "q4 profile rc=$?"; S prof8b_q4
timeout 100 $R bench generate $G --type f16 --context 512,32768 --attention hip --prefill-limit 30 > $OUT/gen8b_f16.json 2>> $L; echo "f16 rc=$?"; S gen8b_f16
timeout 30 $R bench generate --model models/stories260K/stories260K.gguf --context 64,448 --attention dense --decode-steps 60 > $OUT/gen_stories.json 2>> $L; echo "stories rc=$?"; S gen_stories
timeout 150 $R > $OUT/tests.log 2>&1; echo "tests rc=$?"; grep -E "^FAIL|passed" $OUT/tests.log | cut -c1-400 | tail -15
