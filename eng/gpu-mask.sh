#!/bin/bash
# One GPU call: the tensor-core HiP mask (tests on CUDA, kernel time and overlap against the SIMT mask at 8K-128K),
# then 8B-shaped F16 prefill/decode with HiP for two prefill chunk sizes and a prefill profile.
source "$(dirname "$0")/gpu-common.sh"
date -u; export TOP=${TOP:-22}
timeout 120 $R --filter ${FILTER:-MaskEstimation} > $OUT/tests.log 2>&1; echo "tests rc=$?"; grep -E "^FAIL|passed|device:|overlap" $OUT/tests.log | cut -c1-300 | tail -12
timeout 60 $R bench flash --contexts 8192,32768 --mask --warmup 1 --runs 3 > $OUT/flash.json 2>> $L; echo "flash rc=$?"
timeout 60 $R bench flash --contexts 131072 --no-dense --mask --warmup 1 --runs 2 >> $OUT/flash.json 2>> $L; echo "flash128 rc=$?"
python3 -c "
import json
for l in open('$OUT/flash.json'):
  if l.startswith('{'): d=json.loads(l); print({k:d.get(k) for k in ['context','msDense','msHipAttention','msMaskSimt','msMaskTensorCores','maskOverlap','maxAbsError','case']})
"
G="--synthetic llama-3.1-8b --cache /tmp/syn --decode-steps 32 --kv f16 --attention hip --type ${TYPE:-f16}"
for chunk in ${CHUNKS:-2048 4096}; do
  timeout 100 $R bench generate $G --context 8192,32768 --prefill-chunk $chunk > $OUT/chunk$chunk.json 2>> $L; echo "chunk $chunk rc=$?"; S chunk$chunk
done
HIP_PROFILE=1 timeout 100 $R bench generate $G --context 32768 --prefill-chunk ${PCHUNK:-2048} > $OUT/profile.json 2>> $L; echo "profile rc=$?"; S profile
