#!/usr/bin/env python3
"""Turns hyperfine's JSON exports into bench/RESULTS.md."""
import json
import os
import platform
import subprocess
import sys

work = sys.argv[1]


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except Exception:
        return "?"


def cpu():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def table(name, title, baseline):
    path = os.path.join(work, name)
    if not os.path.exists(path):
        return ""
    results = json.load(open(path))["results"]
    base = next((r["median"] for r in results if r["command"] == baseline), None)
    rows = [f"### {title}", "", "| command | median | mean ± σ | vs " + (baseline or "-") + " |", "| --- | --- | --- | --- |"]
    for r in results:
        ratio = f"{r['median'] / base:.2f}x" if base else "-"
        rows.append(f"| {r['command']} | {r['median'] * 1000:.1f} ms | {r['mean'] * 1000:.1f} ± {r['stddev'] * 1000:.1f} ms | {ratio} |")
    return "\n".join(rows) + "\n"


print("# Benchmark results\n")
print("Produced by `bench/run` (medians of repeated runs, all tools against the same")
print("local CNCF distribution registry in the same run).\n")
print(f"- machine: {cpu()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}")
print(f"- berth: {version(['target/release/berth', '--version'])}")
print(f"- skopeo: {version(['skopeo', '--version'])}")
print(f"- curl: {' '.join(version(['curl', '--version']).split()[:2])}")
print(f"- registry: {version(['docker-registry', '--version'])}\n")
print(table("ls.json", "`tags ls` of 2,000 tags, warm plugin cache", "skopeo"))
print(table("cold.json", "`tags ls` on a fresh cache dir (plugin compiled)", None))
print(table("rm.json", "Remove 1,000 tags with distinct digests", "curl -X DELETE, 8 in parallel"))
print("""### What the cases do

- `tags ls`: distribution 2.8 ignores `n`, so every tool gets all 2,000 tags in
  one response; berth's time includes starting the runtime and loading the
  cached plugin.
- Remove: curl deletes the 1,000 manifests by digest with 8 requests in flight
  (the floor: one request per tag, no safety checks). berth first lists the
  tags and resolves every digest (1,000 HEADs), proves that no other tag and no
  index shares each manifest, then deletes each by digest with 8 requests in
  flight over one connection pool. skopeo deletes one digest per process.
  distribution reads every tag of the repository on each manifest DELETE, so
  the registry dominates all three.""")
