#!/bin/bash
# ptxas -v (registers, stack, spills) and the SASS instruction count of every PTX file under artifacts/ptx (dumped
# locally with HIP_PTX_DUMP by the PTX tests), for sm_90.
cd "$(dirname "$0")/.."
export PATH=$PATH:$(ls -d /usr/local/cuda*/bin 2>/dev/null | head -1)
for f in $(find artifacts/ptx -name '*.ptx' | sort); do
  o=/tmp/$(echo $f | tr / _).cubin
  info=$(ptxas -arch=sm_90 -O3 -v $f -o $o 2>&1 | grep -E "registers|stack" | tr '\n' ' ' | sed 's/ptxas info    ://g')
  n=$(cuobjdump -sass $o | grep -cE '^\s+/\*[0-9a-f]{4}\*/')
  echo "$f: $n SASS instructions; $info"
done
