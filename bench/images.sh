#!/usr/bin/env bash
# Cleanup of images: a dry run over 5,000 tags of which 2,500 are signature
# tags, against 5,000 plain tags; and how many requests building the graph
# takes. Called by bench/run with reg, berth, work and runs set.
set -euo pipefail
: "${reg:?}" "${berth:?}" "${work:?}" "${runs:?}"
python3 bench/seed.py "http://$reg" signed 2500 --signed
python3 bench/seed.py "http://$reg" unsigned 5000
hyperfine --style basic --export-json "$work/images.json" --warmup 1 --runs "$runs" \
    -n "berth cleanup --dry-run, 2,500 images + 2,500 signatures" "$berth cleanup $reg/signed --older-than 30d --dry-run -q" \
    -n "berth cleanup --dry-run, 5,000 images" "$berth cleanup $reg/unsigned --older-than 30d --dry-run -q"
# Requests: every HTTP request is one -vv line; the graph's own are logged too.
count() { "$berth" -vv cleanup "$reg/$1" --older-than 30d --dry-run 2>&1 >/dev/null | grep -c 'HTTP [A-Z]* .* -> ' || true; }
graph() { "$berth" -vv cleanup "$reg/$1" --older-than 30d --dry-run 2>&1 >/dev/null | grep -o 'graph of [0-9]* manifests built with [0-9]* requests' | head -1; }
{
    echo "signed $(count signed) $(graph signed)"
    echo "unsigned $(count unsigned) $(graph unsigned)"
} > "$work/images-requests.txt"
