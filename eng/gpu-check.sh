#!/bin/bash
# One GPU call, most important first, a summary after each step: every kernel/inference test on CUDA, then the
# 8B-shaped Q4_K_M and F16 end-to-end numbers with HiP, stories260K, HiP prefill attention, graph off, block mat-vec.
#   here:  dotnet publish eng/Hip.GpuRunner -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true \
#            -p:EnableCompressionInSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -o artifacts/run2
#   there: bash eng/gpu-check.sh      (device run with carry artifacts/run2; OUT is the folder that comes back)
source "$(dirname "$0")/gpu-common.sh"
date -u; nvidia-smi --query-gpu=name,driver_version,memory.used,memory.total --format=csv
timeout 110 $R > $OUT/tests.log 2>&1; echo "tests rc=$?"; grep -E "^FAIL|passed|device:" $OUT/tests.log | tail -12
G="--synthetic llama-3.1-8b --cache /tmp/syn --decode-steps 32 --kv f16"
timeout 110 $R bench generate $G --type q4_k_m --context 512,32768,131072 --attention hip --prefill-limit 60 > $OUT/gen8b_q4_hip.json 2>> $L; echo "q4 hip rc=$?"; S gen8b_q4_hip
timeout 130 $R bench generate $G --type f16 --context 512,32768 --attention hip --prefill-limit 60 > $OUT/gen8b_f16_hip.json 2>> $L; echo "f16 hip rc=$?"; S gen8b_f16_hip
timeout 30 $R bench generate --model models/stories260K/stories260K.gguf --context 64,448 --attention dense --decode-steps 60 > $OUT/gen_stories.json 2>> $L; echo "stories rc=$?"; S gen_stories
timeout 40 $R bench flash --contexts 32768,131072 --no-dense --mask --warmup 1 --runs 3 > $OUT/flash.json 2>> $L; echo "flash rc=$?"; cut -c1-330 $OUT/flash.json
HIP_CUDA_GRAPH=0 timeout 50 $R bench generate $G --type q4_k_m --context 512 --attention hip > $OUT/gen8b_q4_nograph.json 2>> $L; echo "nograph rc=$?"; S gen8b_q4_nograph
timeout 30 $R bench matvec --device cuda --types q4_K,q6_K >> $L 2>&1; grep -E "q4_K|q6_K" $L | tail -10
