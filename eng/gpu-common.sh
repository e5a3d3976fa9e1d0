# Sourced by the one-call GPU scripts (gpu-check.sh, gpu-decode.sh, gpu-final.sh): the runner R, the output folder
# OUT, the log L, CUDA forced, and S NAME, a summary of OUT/NAME.json from Hip.Bench generate (load, graph status,
# memory, prefill and decode per context, and the top of a HIP_PROFILE=1 profile).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
R=${RUNNER:-artifacts/run2/Hip.GpuRunner}; chmod +x $R
OUT=${OUT:-.}
export PYTHONUNBUFFERED=1 HIP_DEVICE=cuda
L=$OUT/all.log
S() { python3 -c "
import json,sys
try: d=json.load(open('$OUT/$1.json'))
except Exception as e: print('$1: no JSON', e); sys.exit()
print('$1', {k:d.get(k) for k in ['loadSeconds','warmupSeconds','decodeGraph','error']}, 'mem', {k:d.get('memory',{}).get(k) for k in ['usedByLoadBytes','weightBytes','kvCacheBytes']})
for c in d.get('contexts',[]):
  dec = c.get('decode') or {}
  print('  ', c.get('context'), 'prefill tok/s', (c.get('prefill') or {}).get('tokensPerSecond'), 'decode tok/s', dec.get('tokensPerSecond'), dec.get('medianMs'), 'depth', dec.get('depth'), c.get('decodeGraph'), c.get('error'), c.get('depthNote'))
  for r in (c.get('profile') or [])[:int(__import__('os').environ.get('TOP','14'))]: print('      %-34s %8.4f ms %6.2f launches' % (r['label'], r['msPerStep'], r['launchesPerStep']))
"; }
