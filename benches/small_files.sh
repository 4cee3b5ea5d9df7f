#!/usr/bin/env bash
# Many small files (issue 5): N files of 4 KiB uploaded (one folder), then downloaded, with the
# default pacer (2 API calls a second). The time should be about (API calls) / (rate); the
# sandbox counts the calls (GET /sandbox/stats) and must see no flood lock. The sandbox runs
# with the demo's flood limit (5 calls a second), as the real service would lock.
#
#   benches/small_files.sh [N]        default 1000 (about 17 minutes at 2 calls a second)

source "$(dirname "$0")/lib.sh"
need curl curl
need python3 python3
build_release
PACE="${PACE:-2.0}" setup_home
start_sandbox --flood-limit 5
N="${1:-1000}"
RATE="${PACE:-2.0}"

mkdir -p "$WORK/small"
python3 - "$WORK/small" "$N" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, f"f{i:05}.bin"), "wb") as f:
        f.write(os.urandom(4096))
PY

stat_of() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

run() {  # run NAME CMD...: times CMD and reads the sandbox's counters for it
    local name="$1"
    shift
    reset_stats
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >"$WORK/$name.out" 2>&1 || { echo "$name failed:" >&2; tail -5 "$WORK/$name.out" >&2; }
    t1=$(date +%s.%N)
    local s calls floods dense by
    s=$(calc "$t1 - $t0")
    sandbox_stats >"$WORK/$name.stats"
    calls=$(stat_of "d['api_calls']" <"$WORK/$name.stats")
    floods=$(stat_of "d['flood_locks']" <"$WORK/$name.stats")
    dense=$(stat_of "d['max_calls_in_one_second']" <"$WORK/$name.stats")
    by=$(stat_of "' '.join(f'{k}={v}' for k, v in d['by_endpoint'].items())" <"$WORK/$name.stats")
    printf '%-9s %6s files %7ss %6s calls %8ss %7s %6s %6s  %s\n' "$name" "$N" "$s" "$calls" \
        "$(calc "$calls / $RATE")" "$(calc "$s / ($calls / $RATE)")" "$dense" "$floods" "$by"
}

printf '%-9s %12s %8s %12s %9s %7s %6s %6s  %s\n' what files time calls calls/rate ratio max/s floods endpoints
run upload "$BIN" upload "$WORK/small" /
mkdir -p "$WORK/down"
run download "$BIN" download /small "$WORK/down"
got=$(find "$WORK/down" -type f -name 'f*.bin' | wc -l)
cmp -s <(cd "$WORK/small" && cat f*.bin) <(cd "$WORK/down/small" && cat f*.bin) && same=yes || same=NO
echo "pace: $RATE calls/s; ratio = time / (calls / rate), goal about 1; downloaded $got files, bytes identical: $same"
