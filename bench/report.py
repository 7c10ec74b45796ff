#!/usr/bin/env python3
"""Turns bench/run's measurements into bench/RESULTS.md."""
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


def results(name):
    path = os.path.join(work, name + ".json")
    return json.load(open(path))["results"] if os.path.exists(path) else []


def median(name, command):
    return next((r["median"] for r in results(name) if r["command"] == command), None)


def table(name, title, baseline):
    rows = results(name)
    if not rows:
        return ""
    base = median(name, baseline) if baseline else None
    out = [f"### {title}", "", f"| command | median | mean ± σ | vs {baseline or '-'} |", "| --- | --- | --- | --- |"]
    for r in rows:
        ratio = f"{r['median'] / base:.2f}x" if base else "-"
        out.append(f"| {r['command']} | {r['median'] * 1000:.1f} ms | {r['mean'] * 1000:.1f} ± {(r['stddev'] or 0) * 1000:.1f} ms | {ratio} |")
    return "\n".join(out) + "\n"


def memory():
    path = os.path.join(work, "memory.txt")
    if not os.path.exists(path):
        return {}
    return {line.rsplit(" ", 1)[0]: int(line.rsplit(" ", 1)[1]) for line in open(path) if line.strip()}


def verdict(value, target):
    if value is None:
        return "not measured"
    return "met" if value <= target else "missed"


def apply_figures():
    path = os.path.join(work, "apply.txt")
    if not os.path.exists(path):
        return {}
    return {line.split()[0]: line.split()[1:] for line in open(path) if line.strip()}


mem = memory()
applied = apply_figures()
allowed = float(applied["rate"][0]) if "rate" in applied else None
apply_share = float(applied["berth-apply"][3]) / allowed if allowed and "berth-apply" in applied else None
ms = lambda v: f"{v * 1000:.1f} ms" if v is not None else "-"
ratio = lambda a, b: (a / b) if a is not None and b else None

ls_ratio = ratio(median("ls", "berth"), median("ls", "skopeo"))
cold = median("cold", "berth, fresh cache")
pages_ratio = ratio(median("pages", "berth"), median("pages", "curl loop over the pages"))
rm_ratio = ratio(median("rm", "berth tags rm"), median("rm", "curl -X DELETE, 8 in parallel"))
dates_ratio = ratio(median("dates", "berth cleanup --dry-run"), median("dates", "curl manifests and configs, 8 in parallel"))
images_ratio = ratio(median("images", "berth cleanup --dry-run, 2,500 images + 2,500 signatures"),
                     median("images", "berth cleanup --dry-run, 5,000 images"))
version_ms = median("startup", "berth --version")
plugins_ms = median("startup", "berth plugins ls")
mem_ratio = ratio(mem.get("berth tags ls 2000"), mem.get("skopeo list-tags 2000"))
plan_floor = ratio(median("plan-floor", "berth plan"), median("plan-floor", "curl floor: catalog + tag lists, 8 in flight"))
plan_reads = ratio(median("plan-floor", "berth plan"), median("plan-floor", "curl floor: catalog + tag lists + manifests, 8 in flight"))
plan_loop = ratio(median("plan-loop", "berth plan"), median("plan-loop", "shell loop of berth cleanup --dry-run"))
plan_mem = next((v for k, v in mem.items() if k.startswith("berth plan")), None)
plan_mib = plan_mem / 1024 if plan_mem else None

print("# Benchmark results\n")
print("Produced by `bench/run`: medians of repeated runs (hyperfine), every tool")
print("against the same local CNCF distribution registry, in the same run.\n")
print(f"- machine: {cpu()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}")
print(f"- berth: {version([os.environ.get('BENCH_BERTH', 'target/release/berth'), '--version'])}")
print(f"- skopeo: {version(['skopeo', '--version'])}")
print(f"- curl: {' '.join(version(['curl', '--version']).split()[:2])}")
print(f"- registry: {version(['docker-registry', '--version'])}")
load = [open(os.path.join(work, f"load-{when}.txt")).read().strip()
        for when in ("before", "after") if os.path.exists(os.path.join(work, f"load-{when}.txt"))]
if load:
    print(f"- load average (1, 5, 15 min) at start and end: {' / '.join(load)}")
runs_note = os.environ.get("BENCH_RUNS", "the scripts' defaults")
print(f"- runs per case: {runs_note}\n")

print("## Targets\n")
print("| case | figure | target | |")
print("| --- | --- | --- | --- |")
fmt = lambda v: f"{v:.2f}x" if v is not None else "-"
print(f"| `tags ls` 2,000 tags, warm cache | {fmt(ls_ratio)} skopeo | ≤ 0.8x | {verdict(ls_ratio, 0.8)} |")
print(f"| first run, fresh cache | {ms(cold)} | ≤ 150 ms | {verdict(cold, 0.150)} |")
print(f"| `tags ls` 100,000 tags over 100 pages | {fmt(pages_ratio)} curl loop | ≤ 1.3x | {verdict(pages_ratio, 1.3)} |")
print(f"| remove 1,000 tags | {fmt(rm_ratio)} curl floor | ≤ 2x | {verdict(rm_ratio, 2.0)} |")
print(f"| cleanup dry run, 5,000 config dates | {fmt(dates_ratio)} curl floor | ≤ 1.5x | {verdict(dates_ratio, 1.5)} |")
print(f"| cleanup dry run, 2,500 of 5,000 tags attachments | {fmt(images_ratio)} no attachments | ≤ 1.2x | {verdict(images_ratio, 1.2)} |")
print(f"| peak memory, `tags ls` 2,000 | {fmt(mem_ratio)} skopeo | ≤ 1x | {verdict(mem_ratio, 1.0)} |")
print(f"| plan 1,000 repositories x 50 tags | {fmt(plan_floor)} curl tag-list floor | ≤ 1.3x | {verdict(plan_floor, 1.3)} |")
print(f"| plan, against what a plan must read | {fmt(plan_reads)} curl tag lists + manifests | ≤ 1.3x | {verdict(plan_reads, 1.3)} |")
print(f"| plan vs a loop of `cleanup --dry-run` | {fmt(plan_loop)} | ≤ 0.25x | {verdict(plan_loop, 0.25)} |")
print(f"| peak memory, plan of 1,000 repositories | {f'{plan_mib:.1f} MiB' if plan_mib else '-'} | ≤ 100 MiB | {verdict(plan_mib, 100)} |")
share = lambda v: f"{v * 100:.0f} %" if v is not None else "-"
print(f"| apply against a registry throttling deletes | {share(apply_share)} of the allowed rate | ≥ 90 % | {'not measured' if apply_share is None else 'met' if apply_share >= 0.9 else 'missed'} |")
print(f"| `berth --version` | {ms(version_ms)} | ≤ 10 ms | {verdict(version_ms, 0.010)} |")
print(f"| `berth plugins ls` | {ms(plugins_ms)} | ≤ 10 ms | {verdict(plugins_ms, 0.010)} |")
print()
print("## Figures\n")
print(table("ls", "`tags ls` of 2,000 tags, warm plugin cache", "skopeo"))
print(table("cold", "`tags ls` on a fresh cache dir (plugin compiled)", None))
print(table("pages", "`tags ls` of 100,000 tags over 100 pages", "curl loop over the pages"))
print(table("rm", "Remove 1,000 tags with distinct digests", "curl -X DELETE, 8 in parallel"))
print(table("dates", "Cleanup dry run of 5,000 tags dated from image configs", "curl manifests and configs, 8 in parallel"))
print(table("images", "Cleanup dry run: 5,000 tags, half of them signatures, vs 5,000 images", "berth cleanup --dry-run, 5,000 images"))
requests_path = os.path.join(work, "images-requests.txt")
if os.path.exists(requests_path):
    print("### Requests of a cleanup dry run, 5,000 tags\n")
    print("| repository | HTTP requests in all | graph |")
    print("| --- | --- | --- |")
    for line in open(requests_path):
        name, total, *graph = line.split()
        print(f"| {name} | {total} | {' '.join(graph) or '-'} |")
    print()
print(table("startup", "Start-up", None))
print(table("plan-floor", "Plan of 1,000 repositories x 50 tags", "curl floor: catalog + tag lists, 8 in flight"))
print(table("plan-loop", "Plan against a shell loop of `cleanup --dry-run` per repository (one run)", "shell loop of berth cleanup --dry-run"))
if applied:
    print("### `berth apply` against a registry that throttles deletes\n")
    print(f"Token bucket of {applied['rate'][0]} deletes a second holding {applied['rate'][1]}, 429 with `Retry-After` beyond it;")
    print("counted by the throttling registry (`bench/throttle.py`) from its own clock.\n")
    print("| client | deletes passed | answered 429 | span | deletes/s | of allowed |")
    print("| --- | --- | --- | --- | --- | --- |")
    for key, name in [("berth-apply", "berth apply"), ("curl-retry", "curl, 8 in flight, `--retry` after Retry-After")]:
        if key in applied:
            n, refused, span, per_s = applied[key]
            print(f"| {name} | {n} | {refused} | {float(span):.1f} s | {per_s} | {share(float(per_s) / allowed)} |")
    if "berth-apply-wall" in applied:
        print(f"\nberth apply's whole run, listing and re-checking every tag included: {applied['berth-apply-wall'][0]} s.")
    print()
if mem:
    print("### Peak memory\n")
    print("| command | peak RSS |")
    print("| --- | --- |")
    for k, v in mem.items():
        print(f"| {k}{'' if k.startswith('berth plan') else ' tags'} | {v / 1024:.1f} MiB |")
    small, big = mem.get("berth tags ls 2000"), mem.get("berth tags ls 100000")
    if small and big:
        per_tag = (big - small) * 1024 / 98000
        print(f"\nFrom 2,000 to 100,000 tags berth's peak grows by {per_tag:.0f} bytes per tag listed.")
    print()
print("""### What the cases do

- `tags ls`: distribution 2.8 ignores `n`, so every tool gets all 2,000 tags in
  one response; berth's time includes starting the runtime and loading the
  cached plugin. "provider named" skips detection (`--provider default`): the
  difference is the `GET /v2/` probe and matching the catalog's patterns.
- 100,000 tags: a paging server (`bench/pager.py`) answers 1,000 tags a page
  with a `Link` to the next; the floor is one curl process per page.
- Remove: curl deletes the 1,000 manifests by digest, 8 requests in flight,
  with no safety checks. berth lists the tags, resolves every digest (1,000
  HEADs), proves that no other tag and no index shares each manifest, then
  deletes each by digest with 8 requests in flight over one connection pool.
  skopeo deletes one digest per process. distribution reads every tag of the
  repository on each manifest DELETE, so the registry dominates all three.
- Cleanup dry run: every tag's manifest and its image config are read (the
  5,000 images share one config, read once by both); curl is the floor with 8
  in flight.
- Plan (`bench/plan.sh`): 1,000 repositories of 50 tags each, written straight
  into the registry's storage; the policy deletes 5 pull-request tags of each.
  berth lists the catalog and every repository's tags, then reads each tag's
  manifest once (one GET: its digest, which images stay, and the sizes for
  the bytes freed; 50,000 requests the tag-list floor does not send), 8
  requests in flight, spooling each repository's decisions to disk. The
  first floor is the catalog and every tag list from one curl process (`-Z
  --parallel-max 8`); the second adds every tag's manifest, in curl
  processes of 500 transfers (curl's parallel mode slows down with thousands
  in one). The loop runs one `berth cleanup --dry-run --policy` per
  repository.""")
plan_s = median("plan-floor", "berth plan")
if plan_s:
    print(f"""
### Why the plan's time targets are missed, and where the floor is

distribution's tag list carries no digests. To write a safe plan berth must
know, for every repository, the digest of each tag it removes (so `apply` can
leave a tag that moved), which images stay (a tag whose manifest another tag
keeps frees nothing and takes no attachments with it) and the sizes of the
blobs only removed images hold (`bytes_freed`). That is one manifest read per
tag: 51 requests a repository where the tag-list floor sends one, so the
tag-list ratio ({fmt(plan_floor)}) measures the registry's work, not berth's.
Against curl sending those same reads at the same concurrency berth takes
{fmt(plan_reads)}; it sends about {51_001 / plan_s:.0f} requests a second, the
rate this registry answers on this machine. A loop of `cleanup --dry-run` sends
about as many requests a repository (a HEAD per tag instead of a GET), one
repository after another, so it is held to the same pace: berth plan is
{fmt(plan_loop)} of it. A quarter of the loop's time would need a quarter of its
requests, which a plan that names digests and bytes cannot have on a registry
whose listings say neither. Where the provider's listing gives digests (ECR,
ACR, Harbor, GCR, GitHub, Docker Hub, Quay), berth reads only the manifests of
distinct images.""")
