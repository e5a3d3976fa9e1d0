#!/bin/bash
# One GPU call: ptxas report of the attention kernels (artifacts/ptx), an Nsight Compute look at one dense flash
# launch at 32K, and 8B-shaped F16 prefill/decode with HiP up to 128K at the default prefill chunk.
source "$(dirname "$0")/gpu-common.sh"
date -u; export TOP=${TOP:-16}
for f in artifacts/ptx/*.ptx; do [ -f "$f" ] && ptxas -arch=sm_90 -v -o /dev/null "$f" 2>&1 | grep -E "registers|stack|spill" | head -2 | sed "s|^|$(basename $f): |"; done
NCU=$(command -v ncu || ls /usr/local/cuda*/bin/ncu 2>/dev/null | head -1)
timeout 150 $NCU --kernel-name regex:HeadDim128 --launch-skip 1 --launch-count 1 --section SpeedOfLight --section LaunchStats --section Occupancy --section WarpStateStats --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis \
  $R bench flash --contexts 32768 --warmup 1 --runs 1 > $OUT/ncu.txt 2>&1; echo "ncu rc=$?"
grep -vE "^==PROF==|^\s*$|^---" $OUT/ncu.txt | grep -E "Duration|Throughput|Registers|Occupancy|Warp Cycles|Stall|Pipe|Shared|L1|L2|DRAM|Issue|Executed Ipc|Block Size|Grid Size|Theoretical|Achieved|Local|Dynamic|Static|Waves|One or More|No Eligible|Active Warps|Eligible" | head -60
G="--synthetic llama-3.1-8b --cache /tmp/syn --decode-steps 32 --kv f16 --attention hip"
timeout 150 $R bench generate $G --type f16 --context 8192,32768,131072 > $OUT/f16.json 2>> $L; echo "f16 rc=$?"; S f16
timeout 120 $R bench generate $G --type q4_k_m --context 8192,32768 > $OUT/q4.json 2>> $L; echo "q4 rc=$?"; S q4
