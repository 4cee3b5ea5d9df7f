#!/usr/bin/env bash
# Transfers over loopback against the sandbox (issues 3 and 5): `fichier-tui download` and
# `upload` of a file against curl moving the same bytes, and `rhash --whirlpool` hashing them,
# all timed in the same run. A verified transfer is a copy plus a whirlpool pass, so the limit is
# the slower of (curl copying) and (rhash hashing); we report our throughput / that limit
# (goal >= 0.9) and our peak memory (goal < 40 MiB whatever the size).
#
#   benches/transfer.sh [SIZE_MIB...]      default: 256 1024; REPS=3 runs each, medians shown;
#                                          SCALAR=1 adds rows for the scalar whirlpool
#
# The sandbox hashes each upload itself (its end.pl whirlpool) on the same 2 cores: curl's upload
# pays that too, so its time is also the "sandbox alone" reference for uploads.
#
# Since our whirlpool outruns rhash (AVX-512), the limit is usually rhash; the last columns set us
# against curl alone (the copy, with no hash on the client) and show rhash's CPU time, which the
# other builds on this machine do not inflate.

source "$(dirname "$0")/lib.sh"
need rhash rhash
need curl curl
need /usr/bin/time time
build_release
setup_home
start_sandbox

SIZES=("${@:-256 1024}")
# shellcheck disable=SC2206
SIZES=(${SIZES[*]})
REPS="${REPS:-3}"
# SCALAR=1 adds our transfers with FICHIER_WHIRLPOOL=scalar (the table-driven whirlpool that ran
# before the AVX-512 one), in the same run.
SCALAR="${SCALAR:-}"
DATA="$WORK/data"
mkdir -p "$DATA"
cd "$WORK"

# timed NAME CMD...: runs CMD under /usr/bin/time; appends "seconds maxrss_kib cpu_seconds" to
# $WORK/NAME.
timed() {
    local name="$1"
    shift
    /usr/bin/time -f "%e %M %U %S" -o "$WORK/time.out" "$@" >"$WORK/cmd.out" 2>&1 || {
        echo "failed: $*" >&2
        cat "$WORK/cmd.out" >&2
        exit 1
    }
    awk '{ print $1, $2, $3 + $4 }' "$WORK/time.out" >>"$WORK/$name"
}

col() { awk -v c="$2" '{ print $c }' "$WORK/$1" | median; }

printf '%-8s %-9s %9s %9s %9s %9s %8s %10s %10s %10s %11s\n' size what ours_s curl_s rhash_s limit_s ratio ours_RSS curl_RSS curl/ours rhash_cpu_s
for mib in "${SIZES[@]}"; do
    f="$DATA/f$mib.bin"
    head -c "$((mib << 20))" /dev/urandom >"$f"
    rm -f "$WORK"/{rhash,ul_ours,ul_curl,ul_scalar,dl_ours,dl_curl,dl_scalar}
    "$BIN" mkdir -p "/b$mib" >/dev/null
    for rep in $(seq "$REPS"); do
        timed rhash rhash --whirlpool "$f"

        # upload: ours (into /b$mib, replacing the previous run's copy), then curl
        timed ul_ours "$BIN" upload "$f" "/b$mib" --on-conflict overwrite
        [ -z "$SCALAR" ] || timed ul_scalar env FICHIER_WHIRLPOOL=scalar "$BIN" upload "$f" "/b$mib" --on-conflict overwrite
        read -r host id < <(api upload/get_upload_server.cgi | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["url"], d["id"])')
        timed ul_curl curl -sS -f -o /dev/null -F "file[]=@$f;filename=curl-$rep.bin" -F did=0 "http://$host/upload.cgi?id=$id"
        "$BIN" rm "/curl-$rep.bin" >/dev/null # the disk holds one copy at a time

        # download: ours, then curl on a one-time URL of the same file
        rm -rf "$WORK/dl" && mkdir -p "$WORK/dl"
        timed dl_ours "$BIN" download "/b$mib/f$mib.bin" "$WORK/dl"
        cmp -s "$f" "$WORK/dl/f$mib.bin" || { echo "downloaded bytes differ" >&2; exit 1; }
        if [ -n "$SCALAR" ]; then
            rm -rf "$WORK/dl" && mkdir -p "$WORK/dl"
            timed dl_scalar env FICHIER_WHIRLPOOL=scalar "$BIN" download "/b$mib/f$mib.bin" "$WORK/dl"
        fi
        url="$("$BIN" links --direct --json "/b$mib/f$mib.bin" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["direct"])')"
        rm -f "$WORK/dl/curl.bin"
        timed dl_curl curl -sS -f -o "$WORK/dl/curl.bin" "$url"
        rm -rf "$WORK/dl"
    done
    r=$(col rhash 1)
    for run in dl ul ${SCALAR:+dl_scalar ul_scalar}; do
        dir=${run%_scalar}
        name=$([ "$run" = "$dir" ] && echo "${dir}_ours" || echo "$run")
        o=$(col "$name" 1)
        c=$(col "${dir}_curl" 1)
        limit=$(awk -v a="$c" -v b="$r" 'BEGIN { print (a > b) ? a : b }')
        ratio=$(calc "$limit / $o")
        orss=$(calc "$(col "$name" 2) / 1024")
        crss=$(calc "$(col "${dir}_curl" 2) / 1024")
        what=$([ "$dir" = dl ] && echo download || echo upload)
        [ "$run" = "$dir" ] || what="$what,scalar"
        printf '%-8s %-9s %9s %9s %9s %9s %8s %7sMiB %7sMiB %10s %11s\n' "${mib}MiB" "$what" "$o" "$c" "$r" "$limit" "$ratio" "$orss" "$crss" "$(calc "$c / $o")" "$(col rhash 3)"
    done
    echo "         throughput: ours dl $(calc "$mib / $(col dl_ours 1)") MiB/s, ul $(calc "$mib / $(col ul_ours 1)") MiB/s; rhash $(calc "$mib / $r") MiB/s; curl dl $(calc "$mib / $(col dl_curl 1)") MiB/s, ul $(calc "$mib / $(col ul_curl 1)") MiB/s"
    rm -f "$f"
done
echo "ratio = limit / ours, where limit = max(curl, rhash) in the same run (goal >= 0.9); RSS = peak (goal < 40 MiB)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
