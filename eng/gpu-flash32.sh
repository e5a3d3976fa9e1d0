#!/bin/bash
# The 4-warp dense flash kernels over 32-key tiles (HeadDim{64,128}Dense32Kernel, two groups an SM), not yet run on
# CUDA when written: their CUDA tests, ptxas figures (copy their PTX from a local HIP_PTX_DUMP run of
# Compile_ForSm90 into artifacts/ptx first), then `bench flash` at 8K/32K with the default 8-warp groups and with
# HIP_FLASH_QUERY_TILE=16 (4 warps at 32/8 heads: the new kernel) side by side, with --check on each.
source "$(dirname "$0")/gpu-common.sh"
date -u
[ -d artifacts/ptx ] && bash eng/gpu-sass.sh
timeout 120 $R --filter FlashAttention > $OUT/tests.log 2>&1; echo "tests rc=$?"; grep -E "^FAIL|passed" $OUT/tests.log | cut -c1-300 | tail -8
for tile in default 16; do
  if [ $tile = default ]; then unset HIP_FLASH_QUERY_TILE; else export HIP_FLASH_QUERY_TILE=$tile; fi
  timeout 150 $R bench flash --contexts ${CTX:-8192,32768} --runs 3 --warmup 1 --check > $OUT/flash_$tile.json 2>> $L; echo "flash tile=$tile rc=$?"
  grep -E '"(mode|context|queryTile|msDense|msHipAttention|maxAbsError|pass)"' $OUT/flash_$tile.json | tr -d ' \n'; echo
done
unset HIP_FLASH_QUERY_TILE
python3 bench/sdpa_bench.py --prefill ${CTX:-8192,32768} --decode "" 2>&1 | tail -4
