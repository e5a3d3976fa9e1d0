#!/bin/bash
# One GPU call: the CUDA tests (FILTER=substring for some), ptxas report of artifacts/ptx (PTX dumped by PtxCompileTests with
# HIP_PTX_DUMP), dense/HiP flash and both mask kernels at 8K-128K beside SDPA, then 8B-shaped F16 prefill/decode with HiP
# to 128K. NCU=1 adds an Nsight Compute look at one dense flash launch at 32K; VARIANTS="default plain tile16"
# compares the dense kernels (HIP_FLASH_DENSE=ldmatrix|plain; the default is ldmatrix) and query tiles (tileN).
source "$(dirname "$0")/gpu-common.sh"
date -u
for f in artifacts/ptx/*.ptx; do [ -f "$f" ] && ptxas -arch=sm_90 -v -o /dev/null "$f" 2>&1 | grep -E "registers|stack|spill" | head -2 | sed "s|^|$(basename $f): |"; done
timeout 130 $R ${FILTER:+--filter $FILTER} > $OUT/tests.log 2>&1; echo "tests rc=$?"; grep -E "^FAIL|passed" $OUT/tests.log | cut -c1-300 | tail -8
if [ "${NCU:-0}" = 1 ]; then
  NCU_BIN=$(command -v ncu || ls /usr/local/cuda*/bin/ncu 2>/dev/null | head -1)
  timeout 150 $NCU_BIN --kernel-name regex:HeadDim128 --launch-skip 1 --launch-count 1 --section SpeedOfLight --section LaunchStats \
    --section Occupancy --section WarpStateStats $R bench flash --contexts 32768 --warmup 1 --runs 1 > $OUT/ncu.txt 2>&1; echo "ncu rc=$?"
  grep -E "Duration|Throughput|Registers|Occupancy|Warp Cycles|Issue|Waves|Active Warps" $OUT/ncu.txt | head -30
fi
for qt in ${VARIANTS:-default}; do
  unset HIP_FLASH_QUERY_TILE HIP_FLASH_DENSE
  case $qt in default) ;; tile*) export HIP_FLASH_QUERY_TILE=${qt#tile} ;; *) export HIP_FLASH_DENSE=$qt ;; esac
  timeout 120 $R bench flash --contexts ${CTX:-8192,32768,131072} --warmup 1 --runs 3 --check --mask > $OUT/flash$qt.json 2>> $L; echo "flash ($qt) rc=$?"
  python3 -c "
import json
for l in open('$OUT/flash$qt.json'):
  if l.startswith('{'): d=json.loads(l); print({k:d[k] for k in ['context','queryTile','denseKernel','msDense','msHipAttention','msMaskSimt','msMaskTensorCores','maskOverlap','mode','maxAbsError','pass'] if k in d})
"
done
unset HIP_FLASH_QUERY_TILE HIP_FLASH_DENSE
timeout 120 python3 bench/sdpa_bench.py --prefill ${CTX:-8192,32768,131072} --decode "" 2>&1 | tail -3 | cut -c1-200
G="--synthetic llama-3.1-8b --cache /tmp/syn --decode-steps 32 --kv f16 --attention hip"
[ "${E2E:-1}" = 1 ] && { timeout 150 $R bench generate $G --type f16 --context 8192,32768,131072 > $OUT/f16.json 2>> $L; echo "f16 rc=$?"; S f16; }
