#!/usr/bin/env bash
# Publishes the GPU test runner (eng/Hip.GpuRunner: the kernel and inference tests, run without xunit) as one
# self-contained, compressed, untrimmed linux-x64 file, artifacts/gpu/Hip.GpuRunner, for GPU machines that have no .NET.
# It must stay under 60 MB to travel in a device run's carry (64 MiB). The runner finds models/ by walking up from
# its own folder to Hip.Agents.sln, so run it from inside the repository.
#
#   eng/gpu-runner.sh                       publish and print the size
#   eng/gpu-runner.sh --run [runner args]   publish, then run it, e.g. --run --device cpu --filter RmsNorm
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

run=false
if [ "${1:-}" = "--run" ]; then run=true; shift; fi

dotnet publish eng/Hip.GpuRunner -c Release -r linux-x64 --self-contained \
  -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
  -o artifacts/gpu

exe=artifacts/gpu/Hip.GpuRunner
bytes=$(stat -c %s "$exe")
limit=$((60 * 1000 * 1000))
echo "$exe: $(awk "BEGIN { printf \"%.1f\", $bytes / 1000000 }") MB ($bytes bytes; limit 60 MB)"
if [ "$bytes" -ge "$limit" ]; then
  echo "$exe is over 60 MB: too large to carry to a GPU machine" >&2
  exit 1
fi

if $run; then
  exec "$exe" "$@"
fi
