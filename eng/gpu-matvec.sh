#!/bin/bash
# The int8 decode mat-vecs on CUDA: their tests, then `bench matvec` (weights cycling through 256 MiB of copies, so
# from HBM) with the rows a warp chosen by size and fixed at 1 and 2, then 8B-shaped Q4_K_M and F16 decode at 512.
source "$(dirname "$0")/gpu-common.sh"
date -u
[ -d artifacts/ptx ] && bash eng/gpu-sass.sh
timeout 120 $R --filter "${FILTER:-MatVec}" > $OUT/tests.log 2>&1; echo "tests rc=$?"; grep -E "^FAIL|passed" $OUT/tests.log | cut -c1-300 | tail -8
timeout 150 $R bench matvec --device cuda --types ${TYPES:-q4_K,q6_K,q8_0,f16,bf16} 2>&1 >$OUT/matvec.json | grep -v "^ "
for rows in 1 2; do HIP_MATVEC_ROWS=$rows timeout 100 $R bench matvec --device cuda --types q4_K,q6_K 2>&1 >$OUT/matvec_$rows.json | grep -v "^ " | sed "s/^/rows=$rows /"; done
if [ "${E2E:-1}" = 1 ]; then
  G="--synthetic llama-3.1-8b --cache /tmp/syn --decode-steps 32 --kv f16 --attention hip"
  timeout 120 $R bench generate $G --type q4_k_m --context ${Q4CTX:-512,32768} --prefill-limit 15 > $OUT/q4.json 2>> $L; echo "q4 rc=$?"; S q4
  timeout 120 $R bench generate $G --type f16 --context 512 > $OUT/f16.json 2>> $L; echo "f16 rc=$?"; S f16
fi
