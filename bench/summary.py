#!/usr/bin/env python3
"""Print the figures of bench/out/*.json (hyperfine exports) as a Markdown
table: median wall time, min, and mean CPU time (user + system), which is
less disturbed than wall time when other work shares the machine."""
import glob, json, os, statistics, sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "out")
print("| figure | runs | median wall | min wall | mean CPU (user+sys) |")
print("|---|---:|---:|---:|---:|")
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    try:
        r = json.load(open(path))["results"][0]
    except (ValueError, KeyError, IndexError):
        continue  # a run in progress
    t = r["times"]
    fmt = lambda s: f"{s*1000:.1f} ms" if s < 10 else f"{s:.1f} s"
    print(f"| {r['command'] if 'command' in r else os.path.basename(path)} | {len(t)} | {fmt(statistics.median(t))} | {fmt(min(t))} | {fmt(r['user'] + r['system'])} |")
