#!/bin/bash
# Nsight Compute look at the int8 decode mat-vecs (Q4_K, Q6_K; the largest and the q/o shapes) and the F16 one for
# comparison, plus the CUDA mat-vec tests (FILTER, default MatVecQ8). One device call.
source "$(dirname "$0")/gpu-common.sh"
date -u
timeout 120 $R --filter "${FILTER:-MatVecQ8}" > $OUT/tests.log 2>&1; echo "tests rc=$?"; grep -E "^FAIL|passed" $OUT/tests.log | cut -c1-300 | tail -8
NCU_BIN=$(command -v ncu || ls /usr/local/cuda*/bin/ncu 2>/dev/null | head -1)
for t in ${TYPES:-q4_K q6_K f16}; do
  timeout 150 $NCU_BIN --kernel-name regex:"${KERNEL:-^Kernel_Kernel$}" --launch-skip ${SKIP:-3} --launch-count 1 --section SpeedOfLight --section LaunchStats \
    --section Occupancy --section WarpStateStats --section MemoryWorkloadAnalysis --section SchedulerStats $R bench matvec --device cuda --types $t --shapes ${SHAPES:-14336x4096} --runs 1 > $OUT/ncu_$t.txt 2>&1; echo "ncu $t rc=$?"
  grep -E "^  [A-Za-z].*\(|Duration|Memory Throughput|DRAM Throughput|Registers|Achieved Occupancy|Theoretical Occupancy|Block Limit|Warp Cycles Per Issued|Issued Warp|No Eligible|Stall|L1/TEX Hit|L2 Hit|Waves|Grid Size|Block Size" $OUT/ncu_$t.txt | head -30
done
$R bench matvec --device cuda --types ${BTYPES:-q4_K,q6_K,q8_0,f16} 2>&1 | tail -12
