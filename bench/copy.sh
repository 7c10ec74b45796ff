#!/usr/bin/env bash
# Copy benchmarks, berth against skopeo in the same run, between two local
# distribution registries. Writes bench/work/copy.md (a section of
# RESULTS.md). Called by bench/run after it built berth; runs alone too:
#   bench/copy.sh [path/to/berth]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/bench/work/copy
rm -rf "$work" && mkdir -p "$work"
berth=${1:-$root/target/release/berth}
[ -x "$berth" ] || cargo build --release --quiet
export BERTH_CACHE_DIR=$work/cache
runs=${BENCH_COPY_RUNS:-5}
layer_mib=${BENCH_LAYER_MIB:-40}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_registry() { # NAME -> prints host:port
    local port; port=$(free_port)
    cat > "$work/$1.yml" <<YAML
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $work/$1-data}
http: {addr: 127.0.0.1:$port}
YAML
    docker-registry serve "$work/$1.yml" > "$work/$1.log" 2>&1 &
    echo "$! 127.0.0.1:$port"
}
read -r pid_a a < <(start_registry a)
read -r pid_b b < <(start_registry b)
trap 'kill $pid_a $pid_b 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://$a/v2/" >/dev/null && curl -sf "http://$b/v2/" >/dev/null && break; sleep 0.1; done

python3 bench/seed_image.py "http://$a" img v1 "$layer_mib" > /dev/null
python3 bench/seed.py "http://$a" tags 200 > /dev/null
skopeo_flags="--src-tls-verify=false --dest-tls-verify=false"
# skopeo remembers where it saw blobs across runs and mounts them from
# there; each of its runs starts without that memory, as berth's do.
forget="rm -f /var/lib/containers/cache/blob-info-cache-v1.* $HOME/.local/share/containers/cache/blob-info-cache-v1.*"
fresh='$(date +%s%N)'
bench() { hyperfine --style basic --export-json "$work/$1.json" "${@:2}"; }

# 1. A 2-platform image (5 distinct layers) to another registry.
bench between --runs "$runs" --prepare true \
    -n "berth cp" "$berth cp -q $a/img:v1 $b/berth-$fresh:v1" \
    --prepare "$forget" \
    -n "skopeo copy --all" "skopeo copy -q --all $skopeo_flags docker://$a/img:v1 docker://$b/skopeo-$fresh:v1"

# 2. The same image to another repository of the same registry.
bench mount --runs "$runs" --prepare true \
    -n "berth cp" "$berth cp -q $a/img:v1 $a/berth-$fresh:v1" \
    --prepare "$forget" \
    -n "skopeo copy --all" "skopeo copy -q --all $skopeo_flags docker://$a/img:v1 docker://$a/skopeo-$fresh:v1"

# 3. Again, when the destination already has it.
"$berth" cp -q "$a/img:v1" "$b/again:v1" > /dev/null
bench again --warmup 2 --runs $((runs * 4)) \
    -n "berth cp" "$berth cp -q $a/img:v1 $b/again:v1" \
    -n "skopeo copy --all" "skopeo copy -q --all $skopeo_flags docker://$a/img:v1 docker://$b/again:v1"

# 4. Every tag of a repository of 200 tags sharing their layers.
bench alltags --runs "$runs" --prepare true \
    -n "berth cp --all-tags" "$berth cp -q --all-tags $a/tags $b/berth-$fresh" \
    --prepare "$forget" \
    -n "skopeo sync" "skopeo sync --all --src docker --dest docker $skopeo_flags $a/tags $b/skopeo-$fresh"

# 5. Peak memory of the first case (KiB).
{
    echo "berth $(python3 bench/maxrss.py "$berth" cp -q "$a/img:v1" "$b/rss-berth:v1")"
    $forget
    # shellcheck disable=SC2086
    echo "skopeo $(python3 bench/maxrss.py skopeo copy -q --all $skopeo_flags "docker://$a/img:v1" "docker://$b/rss-skopeo:v1")"
} > "$work/memory.txt"

python3 - "$work" "$layer_mib" "$("$berth" --version)" > "$work/copy.md" <<'PY'
import json, sys
work, mib, version = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def medians(name):
    rows = json.load(open(f"{work}/{name}.json"))["results"]
    return rows[0]["median"] * 1000, rows[1]["median"] * 1000
cases = [("between", "to another registry", 0.8), ("mount", "same registry, another repository", 0.2),
         ("again", "again, destination up to date", 0.3), ("alltags", "`--all-tags`, 200 tags sharing layers", 0.5)]
mem = dict(line.split() for line in open(f"{work}/memory.txt"))
rss = int(mem["berth"]) / 1024
again = medians("again")[0]
print(f"## Copies ({version})\n")
print(f"Two local distribution registries; a 2-platform index of 5 distinct layers of {mib} MiB.")
print("skopeo forgets, before each run, where it saw blobs in earlier runs (its blob info cache).\n")
print("| case | berth median | skopeo median | ratio | target | |")
print("| --- | --- | --- | --- | --- | --- |")
for name, label, target in cases:
    b, s = medians(name)
    print(f"| {label} | {b:.1f} ms | {s:.1f} ms | {b / s:.2f}x | ≤ {target}x | {'met' if b / s <= target else 'not met'} |")
print(f"| again, absolute | {again:.1f} ms | | | ≤ 30 ms | {'met' if again <= 30 else 'not met'} |")
print(f"| peak RSS, first case | {rss:.1f} MiB | {int(mem['skopeo']) / 1024:.1f} MiB | | ≤ 64 MiB | {'met' if rss <= 64 else 'not met'} |")
PY
cat "$work/copy.md"
