#!/usr/bin/env bash
# Follows a tag list's Link headers with one curl per page: the floor for
# listing a paged repository from a shell.
set -euo pipefail
base=$1
path=$2
count=0
while [ -n "$path" ]; do
    headers=$(curl -sf -D - -o /dev/null "$base$path")
    path=$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Ll]ink: <\([^>]*\)>.*/\1/p')
    count=$((count + 1))
done
echo "$count pages" >&2
