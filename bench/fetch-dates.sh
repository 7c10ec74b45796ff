#!/usr/bin/env bash
# The floor for dating tags: every manifest of the listed tags, then every
# config it names, each with curl, 8 in parallel.
set -euo pipefail
base=$1
repo=$2
tags=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
xargs -P 8 -I{} curl -sf -o "$work/{}.json" \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$base/v2/$repo/manifests/{}" < "$tags"
cat "$work"/*.json | python3 -c 'import sys,json
for line in sys.stdin.read().replace("}{","}\n{").splitlines():
    print(json.loads(line)["config"]["digest"])' | sort -u |
    xargs -P 8 -I{} curl -sf -o /dev/null "$base/v2/$repo/blobs/{}"
