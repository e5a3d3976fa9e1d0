#!/bin/bash
# Lean GPU call: 8B-shaped Q4_K_M and F16 decode with HiP (graph), then the CUDA test suite.
source "$(dirname "$0")/gpu-common.sh"
date -u
G="--synthetic llama-3.1-8b --cache /tmp/syn --decode-steps 32 --kv f16 --attention hip"
timeout 70 $R bench generate $G --type q4_k_m --context 512,32768 --prefill-limit 15 > $OUT/q4.json 2>> $L; echo "q4 rc=$?"; S q4
timeout 60 $R bench generate $G --type f16 --context 512 > $OUT/f16.json 2>> $L; echo "f16 rc=$?"; S f16
timeout 110 $R > $OUT/tests.log 2>&1; echo "tests rc=$?"; grep -E "^FAIL|passed" $OUT/tests.log | cut -c1-300 | tail -12
