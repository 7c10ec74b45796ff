#!/usr/bin/env bash
# The floors for planning a registry prefix, from curl with keep-alive and
# PARALLEL requests in flight:
#   tags       the catalog, page by page, then every repository's tag list;
#   manifests  the same, then every tag's manifest: what a plan must read on
#              a registry whose tag list carries no digests, to know each
#              removal's digest, which images stay, and the bytes freed.
# curl's parallel mode slows down with thousands of transfers in one
# process, so the manifests go in batches of 500 per process.
set -euo pipefail
base=$1      # http://HOST:PORT
prefix=$2    # e.g. fleet
parallel=${3:-8}
mode=${4:-tags}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
path="/v2/_catalog?n=1000"
n=0
while [ -n "$path" ]; do
    page=$(curl -sf -D "$work/h" "$base$path")
    printf '%s' "$page" | python3 -c '
import json, sys
base, prefix, out = sys.argv[1:4]
for r in json.load(sys.stdin).get("repositories") or []:
    if r.startswith(prefix + "/"):
        name = r.replace("/", "_")
        print(f"url = \"{base}/v2/{r}/tags/list?n=1000\"\noutput = \"{out}/{name}.tags\"")
' "$base" "$prefix" "$work" >> "$work/tags.cfg"
    path=$(tr -d '\r' < "$work/h" | sed -n 's/^[Ll]ink: <\([^>]*\)>.*/\1/p')
done
curl -sf -Z --parallel-max "$parallel" -K "$work/tags.cfg"
[ "$mode" = manifests ] || exit 0
python3 - "$base" "$work" <<'PY'
import glob, json, sys
base, work = sys.argv[1:3]
accept = ("application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
          "application/vnd.docker.distribution.manifest.v2+json, "
          "application/vnd.docker.distribution.manifest.list.v2+json")
urls = []
for f in sorted(glob.glob(f"{work}/*.tags")):
    listing = json.load(open(f))
    for tag in listing.get("tags") or []:
        urls.append(f"{base}/v2/{listing['name']}/manifests/{tag}")
for i in range(0, len(urls), 500):
    with open(f"{work}/manifests-{i // 500:05d}.cfg", "w") as out:
        out.write(f'header = "Accept: {accept}"\n')
        for url in urls[i:i + 500]:
            out.write(f'url = "{url}"\noutput = "/dev/null"\n')
PY
for cfg in "$work"/manifests-*.cfg; do
    curl -sf -Z --parallel-max "$parallel" -K "$cfg"
done
