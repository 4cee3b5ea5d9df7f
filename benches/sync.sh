#!/usr/bin/env bash
# Sync (issue 7): `fichier-tui sync TREE 1f:/bench` over 10,000 small files in 100 folders, run
# first (everything sent), second (nothing changed: listing calls only, no file body read, from
# the hash cache), as a dry run, and third (a few files touched, rewritten, grown and added).
# Each run is timed, its API calls counted by endpoint in the sandbox, and what the process read
# taken from /proc/<pid>/io. Then the hashing rate: a run whose hash cache was removed (every
# local file read and hashed) against `rhash --whirlpool` on the same files, for the small
# files and for a few large ones, with the page cache warm and cold (the files' pages dropped
# with posix_fadvise, nobody else's).
#
#   benches/sync.sh            DIRS=100 FILES=100 (per folder) BIG_MIB=512 REPS=3 PACE=100
#                              REAL_PACE=2 (one second run at the real service's pace; 0: skip)
#
# The pacer is set to PACE calls/s (loopback only: the client never goes above 2 calls/s on a
# real URL). At 2 calls/s a first run of 10,000 uploads needs 10,000+ paced calls, about 1.5 h;
# the calls are reported beside the times so the figures scale to the real pace.

source "$(dirname "$0")/lib.sh"
need rhash rhash
need curl curl
need python3 python3
build_release
PACE="${PACE:-100}" setup_home
start_sandbox
RATE="${PACE:-100}"
REAL_PACE="${REAL_PACE:-2}"
DIRS="${DIRS:-100}"
FILES="${FILES:-100}"
BIG_MIB="${BIG_MIB:-512}"
REPS="${REPS:-3}"
TREE="$WORK/tree"
BIG="$WORK/big"
CONFIG="$XDG_CONFIG_HOME/fichier-tui/config.toml"
cd "$WORK"

# The tree: DIRS folders of FILES files of 1 to 8 KiB (random bytes), and BIG_MIB in 4 files.
python3 - "$TREE" "$DIRS" "$FILES" "$BIG" "$BIG_MIB" <<'PY'
import os, random, sys
tree, dirs, files, big, big_mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
rnd = random.Random(7)
for d in range(dirs):
    p = os.path.join(tree, f"d{d:03}")
    os.makedirs(p)
    for f in range(files):
        with open(os.path.join(p, f"f{f:04}.bin"), "wb") as out:
            out.write(os.urandom(rnd.randint(1024, 8192)))
os.makedirs(big)
for i in range(4):
    with open(os.path.join(big, f"big{i}.bin"), "wb") as out:
        for _ in range(big_mib // 4):
            out.write(os.urandom(1 << 20))
PY

# measure NAME CMD...: runs CMD; appends one JSON line to $WORK/NAME.m: wall and CPU seconds,
# peak RSS, and from /proc/<pid>/io (read before the process is reaped) the bytes it read
# through read calls (rchar: files, the hash cache; not sockets, read with recv) and from the
# disk (read_bytes).
cat >"$WORK/measure.py" <<'PY'
import json, os, subprocess, sys, time
out = open(sys.argv[1], "w")
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT)
os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
wall = time.monotonic() - t0
io = dict(l.split(": ") for l in open(f"/proc/{p.pid}/io").read().split("\n") if l)
_, status, ru = os.wait4(p.pid, 0)
print(json.dumps({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_mib": ru.ru_maxrss / 1024,
                  "rchar": int(io["rchar"]), "read_bytes": int(io["read_bytes"]),
                  "rc": os.waitstatus_to_exitcode(status)}))
PY
measure() {
    local name="$1"
    shift
    python3 "$WORK/measure.py" "$WORK/$name.out" "$@" >>"$WORK/$name.m"
}

# field FILE EXPR: EXPR of the JSON in FILE, as d
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
# med NAME KEY: the median of KEY over the runs of NAME
med() { python3 -c "import json,sys; [print(json.loads(l)[sys.argv[2]]) for l in open(sys.argv[1])]" "$WORK/$1.m" "$2" | median | xargs printf '%.3f'; }

set_pace() {
    sed -i "s/^calls_per_second = .*/calls_per_second = $1/" "$CONFIG"
}

# sync_run NAME ARGS...: one measured `sync ARGS --json`, its sandbox counters kept in NAME.stats
# (the last repetition's) and its report in NAME.json.
sync_run() {
    local name="$1"
    shift
    reset_stats
    measure "$name" "$BIN" sync "$@" --json
    sandbox_stats >"$WORK/$name.stats"
    sed -n '/^{/,$p' "$WORK/$name.out" >"$WORK/$name.json"
    local rc
    rc=$(tail -1 "$WORK/$name.m" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rc"])')
    [ "$rc" = 0 ] || { echo "$name: exit $rc" >&2; tail -5 "$WORK/$name.out" >&2; }
}

# row NAME RATE: one line of the table
row() {
    local name="$1" rate="$2" calls
    calls=$(field "$WORK/$name.stats" "d['api_calls']")
    printf '%-16s %8s %6s %9s %7s %7s %9s %9s %6s %6s %6s %7s  %s\n' "$name" \
        "$(med "$name" wall)" "$calls" "$(calc "$calls / $rate")" "$(med "$name" cpu)" \
        "$(med "$name" rss_mib)" "$(calc "$(med "$name" rchar) / 1048576")" \
        "$(calc "$(med "$name" read_bytes) / 1048576")" \
        "$(field "$WORK/$name.json" "d['sent']")" "$(field "$WORK/$name.json" "d['unchanged']")" \
        "$(field "$WORK/$name.json" "d['hashes']['files_hashed']")" \
        "$(calc "$(field "$WORK/$name.json" "d['hashes']['bytes_hashed']") / 1048576")" \
        "$(field "$WORK/$name.stats" "' '.join(f'{k.removesuffix(\".cgi\")}={v}' for k, v in d['by_endpoint'].items())")"
}

header() {
    printf '%-16s %8s %6s %9s %7s %7s %9s %9s %6s %6s %6s %7s  %s\n' run wall_s calls calls/pace \
        cpu_s rss_MiB rchar_MiB disk_MiB sent same hashed hash_MiB "calls by endpoint"
}

hash_file() {  # the hash cache of the pair whose pair.txt names $1 as its source
    grep -l -x -F "$1" "$XDG_STATE_HOME"/fichier-tui/sync/*/pair.txt | head -1 | xargs dirname | sed 's|$|/hashes.json|'
}

# drop_pages FILES...: drops these files' pages from the page cache (the next read is cold)
drop_pages() {
    python3 -c '
import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY)
    os.fsync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)' "$@"
}

echo "tree: $DIRS folders x $FILES files of 1-8 KiB ($(du -sm --apparent-size "$TREE" | cut -f1) MiB), big: 4 files, $BIG_MIB MiB; pace $RATE calls/s" >&2
header
sync_run first "$TREE" 1f:/bench
row first "$RATE"
# The reference for a first run: `upload` of the same tree (the engine's own folder jobs).
"$BIN" mkdir -p /plain >/dev/null
reset_stats
measure upload "$BIN" upload "$TREE" /plain
sandbox_stats >"$WORK/upload.stats"
echo '{"sent": 0, "unchanged": 0, "hashes": {"files_hashed": 0, "bytes_hashed": 0}}' >"$WORK/upload.json"
row upload "$RATE"
for _ in $(seq "$REPS"); do sync_run second "$TREE" 1f:/bench; done
row second "$RATE"
for _ in $(seq "$REPS"); do sync_run dry_run "$TREE" 1f:/bench --dry-run; done
row dry_run "$RATE"
if [ "$REAL_PACE" != 0 ]; then
    set_pace "$REAL_PACE"
    sync_run second_real "$TREE" 1f:/bench
    row second_real "$REAL_PACE"
    set_pace "$RATE"
fi

# A few changes: 10 files touched (same bytes), 10 rewritten (same size), 5 grown, 5 new.
python3 - "$TREE" <<'PY'
import os, sys, time
t = sys.argv[1]
files = sorted(os.path.join(r, f) for r, _, fs in os.walk(t) for f in fs)
picked = [files[i * len(files) // 25] for i in range(25)]
later = time.time() + 60
for p in picked[:10]:
    os.utime(p, (later, later))
for p in picked[10:20]:
    n = os.path.getsize(p)
    with open(p, "wb") as f:
        f.write(os.urandom(n))
for p in picked[20:25]:
    with open(p, "ab") as f:
        f.write(b"more")
for i in range(5):
    with open(os.path.join(os.path.dirname(picked[i * 5]), f"new{i}.bin"), "wb") as f:
        f.write(os.urandom(3000))
PY
sync_run third "$TREE" 1f:/bench
row third "$RATE"
sync_run after_third "$TREE" 1f:/bench
row after_third "$RATE"

# Hashing the 10,000 small files: a run without its hash cache reads them all.
CACHE="$(hash_file "$TREE")"
for _ in $(seq "$REPS"); do
    rm -f "$CACHE"
    sync_run no_cache "$TREE" 1f:/bench
    measure rhash_small rhash --whirlpool -r "$TREE"
done
row no_cache "$RATE"

# The large files: uploaded once, then hashed without a cache, warm and cold, against rhash.
sync_run big_first "$BIG" 1f:/big
BIG_CACHE="$(hash_file "$BIG")"
for _ in $(seq "$REPS"); do
    sync_run big_cached "$BIG" 1f:/big
    rm -f "$BIG_CACHE"
    sync_run big_warm "$BIG" 1f:/big
    measure rhash_warm rhash --whirlpool "$BIG"/*.bin
    rm -f "$BIG_CACHE"
    drop_pages "$BIG"/*.bin
    sync_run big_cold "$BIG" 1f:/big
    drop_pages "$BIG"/*.bin
    measure rhash_cold rhash --whirlpool "$BIG"/*.bin
    # rhash on two processes, as the sync hashes two files at once on 2 cores
    measure rhash2_warm sh -c "ls $BIG/*.bin | xargs -P2 -n2 rhash --whirlpool"
done
for r in big_cached big_warm big_cold; do row "$r" "$RATE"; done

echo
echo "hashing (medians of $REPS): MB/s = bytes hashed / (sync time without its cache - sync time with it), i.e. listings left out"
printf '%-24s %9s %8s %8s %9s %s\n' what MiB wall_s cpu_s MiB/s "ratio (reference time / ours)"
small_mib=$(calc "$(field "$WORK/no_cache.json" "d['hashes']['bytes_hashed']") / 1048576")
ours_small=$(calc "$(med no_cache wall) - $(med second wall)")
ours_small_cpu=$(calc "$(med no_cache cpu) - $(med second cpu)")
printf '%-24s %9s %8s %8s %9s\n' "sync, $((DIRS * FILES)) small" "$small_mib" "$ours_small" "$ours_small_cpu" "$(calc "$small_mib / $ours_small")"
printf '%-24s %9s %8s %8s %9s %s\n' "rhash -r, same files" "$small_mib" "$(med rhash_small wall)" "$(med rhash_small cpu)" \
    "$(calc "$small_mib / $(med rhash_small wall)")" "$(calc "$(med rhash_small wall) / $ours_small")"
for temp in warm cold; do
    ours=$(calc "$(med "big_$temp" wall) - $(med big_cached wall)")
    ours_cpu=$(calc "$(med "big_$temp" cpu) - $(med big_cached cpu)")
    printf '%-24s %9s %8s %8s %9s\n' "sync, 4 large, $temp" "$BIG_MIB" "$ours" "$ours_cpu" "$(calc "$BIG_MIB / $ours")"
    printf '%-24s %9s %8s %8s %9s %s\n' "rhash, same files, $temp" "$BIG_MIB" "$(med "rhash_$temp" wall)" "$(med "rhash_$temp" cpu)" \
        "$(calc "$BIG_MIB / $(med "rhash_$temp" wall)")" "$(calc "$(med "rhash_$temp" wall) / $ours")"
done
printf '%-24s %9s %8s %8s %9s %s\n' "rhash x2 processes, warm" "$BIG_MIB" "$(med rhash2_warm wall)" "$(med rhash2_warm cpu)" \
    "$(calc "$BIG_MIB / $(med rhash2_warm wall)")" "$(calc "$(med rhash2_warm wall) / $(calc "$(med big_warm wall) - $(med big_cached wall)")")"
echo
echo "pace $RATE calls/s (second_real: $REAL_PACE); rchar = bytes through read calls on files (the hash cache and config included; sockets not; the tree is $(du -sm --apparent-size "$TREE" | cut -f1) MiB); disk = read_bytes"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
