#!/usr/bin/env bash
# berth apply against a registry that throttles deletes (a token bucket of
# RATE a second holding BURST, 429 with Retry-After beyond it: GitHub allows
# 180 a minute), and, as the peer, curl deleting the same number of manifests
# 8 at a time and retrying 429s after their Retry-After. Throughput is
# counted by the throttling registry itself. Writes WORK/apply.txt.
#
# usage: bench/apply.sh REGISTRY(host:port) BERTH WORK [DELETES] [RATE] [BURST]
set -euo pipefail
cd "$(dirname "$0")/.."
reg=$1 berth=$2 work=$3 deletes=${4:-600} rate=${5:-20} burst=${6:-20}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fake=127.0.0.1:$port

python3 bench/throttle.py "$port" "$reg" "$rate" "$burst" "$work/throttle.log" &
fake_pid=$!
trap 'kill $fake_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://$fake/v2/" >/dev/null && break; sleep 0.1; done

# Each run: its own repository of DELETES + 100 tags, of which the plan
# removes DELETES.
stats() { # which: throughput and refusals of the deletes logged since line $2
    tail -n +"$2" "$work/throttle.log" | python3 -c '
import sys
passed, refused = [], 0
for line in sys.stdin:
    kind, at = line.split()
    if kind == "pass": passed.append(float(at))
    else: refused += 1
span = passed[-1] - passed[0]
print(f"{sys.argv[1]} {len(passed)} {refused} {span:.3f} {(len(passed) - 1) / span:.2f}")' "$1"
}
log_lines() { wc -l < "$work/throttle.log" 2>/dev/null || echo 0; }

python3 bench/seed.py "http://$reg" apply-berth $((deletes + 100)) --digests "$work/apply-berth.digests"
python3 - "$fake" "$work/apply-berth.digests" "$deletes" > "$work/apply-plan.json" <<'PY'
import json, sys
fake, digests, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
pairs = [l.split() for l in open(digests)][:n]
print(json.dumps({"version": 1, "created": "2026-01-01T00:00:00Z", "bytes_freed": 0, "repositories": [{
    "repo": f"{fake}/apply-berth", "provider": "default", "bytes_freed": 0, "kept": [],
    "attachments": [], "untagged": [], "delete": [{"tag": t, "digest": d} for t, d in pairs]}]}))
PY
from=$(( $(log_lines) + 1 ))
start=$(date +%s.%N)
"$berth" apply "$work/apply-plan.json" -q > /dev/null
end=$(date +%s.%N)
{
    stats "berth-apply" "$from"
    echo "berth-apply-wall $(python3 -c "print(f'{$end - $start:.3f}')")"
} > "$work/apply.txt"

python3 bench/seed.py "http://$reg" apply-curl $((deletes + 100)) --digests "$work/apply-curl.digests"
from=$(( $(log_lines) + 1 ))
head -n "$deletes" "$work/apply-curl.digests" | cut -d' ' -f2 \
    | xargs -P 8 -I{} curl -sf -o /dev/null --retry 20 -X DELETE "http://$fake/v2/apply-curl/manifests/{}"
stats "curl-retry" "$from" >> "$work/apply.txt"
echo "rate $rate $burst" >> "$work/apply.txt"
cat "$work/apply.txt"
