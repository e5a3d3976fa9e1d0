#!/bin/bash
# One call for what the 2026-12-03 session wrote after its device time was spent: the whole CUDA suite (the Q5_K int8
# mat-vec and fp16 dequantization, the 4-warp 32-key flash kernels, removed after this call measured them), the flash kernels default vs HIP_FLASH_QUERY_TILE=16
# at 32K (CTX) beside SDPA, Q5_K / Q4_K mat-vec GB/s, and a synthetic 8B Q5_K_M end to end. ptxas figures first when
# artifacts/ptx holds PTX from a local HIP_PTX_DUMP run of the Compile_ForSm90 tests.
source "$(dirname "$0")/gpu-common.sh"
date -u
[ -d artifacts/ptx ] && bash eng/gpu-sass.sh
timeout 140 $R > $OUT/tests.log 2>&1; echo "tests rc=$?"; grep -E "^FAIL|passed" $OUT/tests.log | cut -c1-300 | tail -12
for tile in default 16; do
  if [ $tile = default ]; then unset HIP_FLASH_QUERY_TILE; else export HIP_FLASH_QUERY_TILE=$tile; fi
  timeout 90 $R bench flash --contexts ${CTX:-32768} --runs 3 --warmup 1 --check > $OUT/flash_$tile.json 2>> $L; echo "flash tile=$tile rc=$?"
  grep -E '"(context|queryTile|msDense|msHipAttention|maxAbsError|pass)"' $OUT/flash_$tile.json | tr -d ' \n'; echo
done
unset HIP_FLASH_QUERY_TILE
timeout 60 python3 bench/sdpa_bench.py --prefill ${CTX:-32768} --decode "" 2>&1 | tail -3
timeout 90 $R bench matvec --device cuda --types q5_K,q4_K 2>&1 >$OUT/matvec.json | grep -v "^ "
G="--synthetic llama-3.1-8b --cache /tmp/syn --decode-steps 32 --kv f16 --attention hip"
timeout 150 $R bench generate $G --type q5_k_m --context 512,32768 --prefill-limit 15 > $OUT/q5.json 2>> $L; echo "q5 rc=$?"; S q5
