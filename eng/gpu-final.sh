#!/bin/bash
# Lean GPU call: the CUDA test suite, then 8B-shaped Q4_K_M and F16 decode with HiP (graph) with the fused q/k/v and
# gate/up mat-vecs (the default) and without (HIP_MATVEC_FUSED=0), side by side (FUSED="1" for the default only).
source "$(dirname "$0")/gpu-common.sh"
date -u
timeout 130 $R > $OUT/tests.log 2>&1; echo "tests rc=$?"; grep -E "^FAIL|passed" $OUT/tests.log | cut -c1-300 | tail -12
G="--synthetic llama-3.1-8b --cache /tmp/syn --decode-steps 32 --kv f16 --attention hip"
for fused in ${FUSED:-1 0}; do
  HIP_MATVEC_FUSED=$fused timeout 90 $R bench generate $G --type q4_k_m --context 512,32768 --prefill-limit 15 > $OUT/q4_$fused.json 2>> $L; echo "q4 fused=$fused rc=$?"; S q4_$fused
  HIP_MATVEC_FUSED=$fused timeout 90 $R bench generate $G --type f16 --context 512 > $OUT/f16_$fused.json 2>> $L; echo "f16 fused=$fused rc=$?"; S f16_$fused
done
