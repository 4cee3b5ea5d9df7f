#!/usr/bin/env bash
# Start to first frame (issue 5): the binary in a pseudo-terminal (120x40) with --demo, timed from
# the spawn to its first frame (the end of the first synchronized update) and to the first full
# screen (the remote root listed and the account shown), against the sandbox's own start
# (`fichier-tui sandbox --seed` until it prints its URL), which the demo contains.
# Also: the binary (against a sandbox of our own) opened in a local folder of 100,000 files: time
# to the listing on screen, peak memory (goals < 150 ms beyond the start, < 100 MiB), against
# Midnight Commander (Debian's `mc`, installed if missing) opened on the same folder in the same
# pty: `mc -u` (no subshell), its config in the private HOME, the other panel on an empty folder
# (as our other pane is the remote one), timed to the same first file name on screen.
#
#   benches/ui_startup.sh            REPS=5 runs each, medians shown

source "$(dirname "$0")/lib.sh"
need python3 python3
HAVE_MC=""
if need mc mc; then HAVE_MC=1; else echo "no mc: the Midnight Commander comparison is skipped" >&2; fi
build_release
setup_home
REPS="${REPS:-5}"
PTY="$ROOT/benches/pty_run.py"
SYNC_END=$'\x1b\\[\\?2026l'

field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$@"; }

: >"$WORK/sandbox_s" ; : >"$WORK/frame_s" ; : >"$WORK/full_s"
for _ in $(seq "$REPS"); do
    # The sandbox alone: spawn to "API URL:" (stdout is a pipe, as a script would read it).
    python3 - "$BIN" "$KEY" >>"$WORK/sandbox_s" <<'PY'
import subprocess, sys, time
t = time.monotonic()
p = subprocess.Popen([sys.argv[1], "sandbox", "--seed", "--listen", "127.0.0.1:0", "--key", sys.argv[2]],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
for line in p.stdout:
    if line.startswith(b"API URL:"):
        print(round(time.monotonic() - t, 4))
        break
p.terminate(); p.wait()
PY
    r="$(python3 "$PTY" --size 120x40 --until "$SYNC_END" --settle 2 -- "$BIN" --demo)"
    echo "$r" | field "d['matches'][sys.argv[2]]" "$SYNC_END" >>"$WORK/frame_s"
    echo "$r" | field "d['settled_at']" >>"$WORK/full_s"
done
s=$(median <"$WORK/sandbox_s"); f=$(median <"$WORK/frame_s"); u=$(median <"$WORK/full_s")
printf '%-52s %10s %12s %8s\n' figure ours reference ratio
printf '%-52s %9.0fms %10.0fms %8s\n' "--demo: spawn to first frame" "$(calc "$f*1000")" "$(calc "$s*1000")" "$(calc "$f/$s")"
printf '%-52s %9.0fms %10.0fms %8s\n' "--demo: spawn to full screen (last frame before 2 s quiet)" "$(calc "$u*1000")" "$(calc "$s*1000")" "$(calc "$u/$s")"
echo "reference = \`fichier-tui sandbox --seed\` spawn to its URL line (the demo starts that sandbox in-process)"

# A local folder of 100,000 files, opened by the real binary. Against a sandbox of our own
# rather than --demo: the demo's sandbox hashes its generated files at start, on the same cores.
start_sandbox
N="${UI_FILES:-100000}"
mkdir -p "$WORK/big"
python3 - "$WORK/big" "$N" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    open(os.path.join(d, f"file-{(i * 7919) % n:06}.txt"), "w").close()
PY
: >"$WORK/big_s" ; : >"$WORK/big_rss" ; : >"$WORK/small_s" ; : >"$WORK/ls_s" ; : >"$WORK/mc_s"
mkdir -p "$WORK/small"
for _ in $(seq "$REPS"); do
    r="$(python3 "$PTY" --size 120x40 --cwd "$WORK/big" --until "file-000000" -- "$BIN")"
    echo "$r" | field "d['matches']['file-000000']" >>"$WORK/big_s"
    echo "$r" | field "d['rss_peak_kib']" >>"$WORK/big_rss"
    if [ -n "$HAVE_MC" ]; then
        # No X11 (DISPLAY unset) and no subshell: mc starts as a plain terminal program.
        r="$(env -u DISPLAY python3 "$PTY" --size 120x40 --cwd "$WORK/big" --until "file-000000" -- mc -u "$WORK/big" "$WORK/small")"
        echo "$r" | field "d['matches']['file-000000']" >>"$WORK/mc_s"
    fi
    r="$(python3 "$PTY" --size 120x40 --cwd "$WORK/small" --until "$SYNC_END" -- "$BIN")"
    echo "$r" | field "d['matches'][sys.argv[2]]" "$SYNC_END" >>"$WORK/small_s"
    python3 - "$WORK/big" >>"$WORK/ls_s" <<'PY'
import subprocess, sys, time
t = time.monotonic()
subprocess.run(f'ls -f "{sys.argv[1]}" | sort >/dev/null', shell=True, check=True)
print(round(time.monotonic() - t, 4))
PY
done
b=$(median <"$WORK/big_s"); sm=$(median <"$WORK/small_s"); l=$(median <"$WORK/ls_s"); rss=$(median <"$WORK/big_rss")
printf '%-52s %9.0fms %10.0fms %8s\n' "in $N files: spawn to the listing on screen" "$(calc "$b*1000")" "$(calc "$sm*1000")" "$(calc "$b/$sm")"
printf '%-52s %9.0fms %10.0fms %8s\n' "  beyond the empty folder's first frame" "$(calc "($b-$sm)*1000")" "$(calc "$l*1000")" "$(calc "($b-$sm)/$l")"
echo "  (reference of the first line: the same start in an empty folder; of the second: ls -f | sort; goal < 150 ms)"
if [ -n "$HAVE_MC" ]; then
    m=$(median <"$WORK/mc_s")
    printf '%-52s %9.0fms %10.0fms %8s\n' "in $N files: ours against mc -u, spawn to listing" "$(calc "$b*1000")" "$(calc "$m*1000")" "$(calc "$b/$m")"
    echo "  (reference: Midnight Commander $(mc -V | head -1 | awk '{print $NF}') in the same pty, the same first name on screen)"
fi
printf '%-52s %8.1fMiB %12s %8s\n' "in $N files: peak RSS" "$(calc "$rss/1024")" "-" "-"
echo "  (goal < 100 MiB)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
