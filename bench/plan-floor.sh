#!/usr/bin/env bash
# The floor for planning a registry prefix: the catalog, page by page, then
# every repository's tag list from one curl process with keep-alive and
# PARALLEL requests in flight. Reads nothing berth would not.
set -euo pipefail
base=$1      # http://HOST:PORT
prefix=$2    # e.g. fleet
parallel=${3:-8}
urls=$(mktemp)
trap 'rm -f "$urls"' EXIT
path="/v2/_catalog?n=1000"
while [ -n "$path" ]; do
    page=$(curl -sf -D "$urls.h" "$base$path")
    printf '%s' "$page" | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("repositories") or []:
    if r.startswith(sys.argv[2] + "/"):
        print(f"url = \"{sys.argv[1]}/v2/{r}/tags/list?n=1000\"\noutput = \"/dev/null\"")
' "$base" "$prefix" >> "$urls"
    path=$(tr -d '\r' < "$urls.h" | sed -n 's/^[Ll]ink: <\([^>]*\)>.*/\1/p')
done
rm -f "$urls.h"
curl -sf -Z --parallel-max "$parallel" -K "$urls"
