#!/usr/bin/env python3
"""Reads the JSON objects that Hip.Bench attention and sdpa_bench.py printed (in any layout) and prints one table."""
import json, sys

text = open(sys.argv[1]).read()
decoder, objects, i = json.JSONDecoder(), [], 0
while (i := text.find("{", i)) >= 0:
    try:
        obj, end = decoder.raw_decode(text, i)
        objects.append(obj)
        i = end
    except json.JSONDecodeError:
        i += 1
rows = {}
for o in objects:
    if "error" in o:
        print("error:", o)
        continue
    if "phase" not in o or "method" not in o:
        continue
    key = (o["phase"], o["context"])
    method = o["method"]
    rows.setdefault(key, {})[method] = o
print(f"{'phase':8} {'context':>8} {'hip ms':>10} {'dense ms':>10} {'sdpa ms':>10} {'dense/hip':>10} {'sdpa/hip':>9}  hip detail")
for (phase, ctx), r in sorted(rows.items()):
    hip, dense, sdpa = (r.get(m, {}).get("ms") for m in ("hip", "dense", "sdpa-flash"))
    detail = {k: v for k, v in r.get("hip", {}).items() if k.startswith("ms") and k != "ms"}
    f = lambda v: f"{v:10.3f}" if isinstance(v, (int, float)) else f"{'-':>10}"
    ratio = lambda a, b: f"{a / b:10.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else f"{'-':>10}"
    print(f"{phase:8} {ctx:8d} {f(hip)} {f(dense)} {f(sdpa)} {ratio(dense, hip)} {ratio(sdpa, hip)}  {json.dumps(detail)}")
