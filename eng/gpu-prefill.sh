#!/bin/bash
# One GPU call: where an 8B-shaped F16 prefill goes (HIP_PROFILE=1, per-chunk time by launch label, HiP), and prefill
# speed at 8K/32K for the default chunk and larger chunks (unprofiled).
source "$(dirname "$0")/gpu-common.sh"
date -u; export TOP=30
G="--synthetic llama-3.1-8b --cache /tmp/syn --decode-steps 32 --kv f16 --attention hip --type ${TYPE:-f16}"
HIP_PROFILE=1 timeout 150 $R bench generate $G --context 8192,32768 > $OUT/profile.json 2>> $L; echo "profile rc=$?"; S profile
for chunk in ${CHUNKS:-512 2048}; do
  timeout 100 $R bench generate $G --context 8192,32768 --prefill-chunk $chunk > $OUT/chunk$chunk.json 2>> $L; echo "chunk $chunk rc=$?"; S chunk$chunk
done
