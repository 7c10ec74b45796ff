#!/usr/bin/env bash
# Planning a registry of 1,000 repositories x 50 tags: berth plan against
# the floors (bench/plan-floor.sh: the catalog and every tag list from curl
# at the same concurrency, and the same plus every tag's manifest, which a
# plan must read where tag lists carry no digests) and against a shell loop
# of `berth cleanup --dry-run` per repository; and berth plan's peak memory.
# usage: plan.sh BERTH WORK REGISTRY STORAGE_ROOT  (bench/run calls it)
set -euo pipefail
berth=$1 work=$2 reg=$3 storage=$4
repos=${BENCH_PLAN_REPOS:-1000}
tags=${BENCH_PLAN_TAGS:-50}
cd "$(dirname "$0")/.."

python3 bench/seed_storage.py "$storage" "$repos" "$tags" --prefix fleet
# Old pull-request builds go (a tenth of the tags), releases stay.
cat > "$work/policy.toml" <<TOML
[[rule]]
repos = ["$reg/fleet/*"]
match = "^pr-00[0-4]$"
keep = ["^v"]
TOML
"$berth" repos ls "$reg/fleet" | head -n 2 >&2
"$berth" plan --policy "$work/policy.toml" "$reg/fleet" --out "$work/plan.json" -q
python3 - "$work/plan.json" "$repos" <<'PY' >&2
import json, sys
plan = json.load(open(sys.argv[1]))
n = len(plan["repositories"])
removals = sum(len(r["delete"]) for r in plan["repositories"])
assert n == int(sys.argv[2]), f"planned {n} repositories"
print(f"plan: {n} repositories, {removals} removals")
PY

hyperfine --style basic --export-json "$work/plan.json.bench" --warmup 1 --runs "${BENCH_RUNS:-5}" \
    -n "berth plan" "$berth plan --policy $work/policy.toml $reg/fleet --out $work/plan.json -q" \
    -n "curl floor: catalog + tag lists, 8 in flight" "bench/plan-floor.sh http://$reg fleet 8" \
    -n "curl floor: catalog + tag lists + manifests, 8 in flight" "bench/plan-floor.sh http://$reg fleet 8 manifests"
mv "$work/plan.json.bench" "$work/plan-floor.json"

# The loop takes a berth process per repository: one run is enough.
for i in $(seq 0 $((repos - 1))); do printf '%s/fleet/repo-%04d\n' "$reg" "$i"; done > "$work/plan-repos.txt"
hyperfine --style basic --export-json "$work/plan-loop.json" --runs 1 \
    -n "berth plan" "$berth plan --policy $work/policy.toml $reg/fleet --out $work/plan.json -q" \
    -n "shell loop of berth cleanup --dry-run" "while read r; do $berth cleanup \$r --policy $work/policy.toml --dry-run -q -o json; done < $work/plan-repos.txt > /dev/null"

echo "berth plan $repos repositories $(python3 bench/maxrss.py "$berth" plan --policy "$work/policy.toml" "$reg/fleet" --out "$work/plan.json" -q)" >> "$work/memory.txt"
