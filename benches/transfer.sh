#!/usr/bin/env bash
# Transfers over loopback against the sandbox (issues 3 and 5): `fichier-tui download` and
# `upload` of a file against curl moving the same bytes, and `rhash --whirlpool` hashing them,
# all timed in the same run. A verified transfer is a copy plus a whirlpool pass, so the limit is
# the slower of (curl copying) and (rhash hashing); we report our throughput / that limit
# (goal >= 0.9) and our peak memory (goal < 40 MiB whatever the size).
#
#   benches/transfer.sh [SIZE_MIB...]      default: 256 1024; REPS=3 runs each, medians shown
#
# The sandbox hashes each upload itself (its end.pl whirlpool) on the same 2 cores: curl's upload
# pays that too, so its time is also the "sandbox alone" reference for uploads.

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
DATA="$WORK/data"
mkdir -p "$DATA"
cd "$WORK"

# timed NAME CMD...: runs CMD under /usr/bin/time; appends "seconds maxrss_kib" to $WORK/NAME.
timed() {
    local name="$1"
    shift
    /usr/bin/time -f "%e %M" -o "$WORK/time.out" "$@" >"$WORK/cmd.out" 2>&1 || {
        echo "failed: $*" >&2
        cat "$WORK/cmd.out" >&2
        exit 1
    }
    cat "$WORK/time.out" >>"$WORK/$name"
}

col() { awk -v c="$2" '{ print $c }' "$WORK/$1" | median; }

printf '%-8s %-9s %9s %9s %9s %9s %8s %10s %10s\n' size what ours_s curl_s rhash_s limit_s ratio ours_RSS curl_RSS
for mib in "${SIZES[@]}"; do
    f="$DATA/f$mib.bin"
    head -c "$((mib << 20))" /dev/urandom >"$f"
    rm -f "$WORK"/{rhash,ul_ours,ul_curl,dl_ours,dl_curl}
    "$BIN" mkdir -p "/b$mib" >/dev/null
    for rep in $(seq "$REPS"); do
        timed rhash rhash --whirlpool "$f"

        # upload: ours (into /b$mib, replacing the previous run's copy), then curl
        timed ul_ours "$BIN" upload "$f" "/b$mib" --on-conflict overwrite
        read -r host id < <(api upload/get_upload_server.cgi | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["url"], d["id"])')
        timed ul_curl curl -sS -f -o /dev/null -F "file[]=@$f;filename=curl-$rep.bin" -F did=0 "http://$host/upload.cgi?id=$id"
        "$BIN" rm "/curl-$rep.bin" >/dev/null # the disk holds one copy at a time

        # download: ours, then curl on a one-time URL of the same file
        rm -rf "$WORK/dl" && mkdir -p "$WORK/dl"
        timed dl_ours "$BIN" download "/b$mib/f$mib.bin" "$WORK/dl"
        cmp -s "$f" "$WORK/dl/f$mib.bin" || { echo "downloaded bytes differ" >&2; exit 1; }
        url="$("$BIN" links --direct --json "/b$mib/f$mib.bin" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["direct"])')"
        rm -f "$WORK/dl/curl.bin"
        timed dl_curl curl -sS -f -o "$WORK/dl/curl.bin" "$url"
        rm -rf "$WORK/dl"
    done
    r=$(col rhash 1)
    for dir in dl ul; do
        o=$(col "${dir}_ours" 1)
        c=$(col "${dir}_curl" 1)
        limit=$(awk -v a="$c" -v b="$r" 'BEGIN { print (a > b) ? a : b }')
        ratio=$(calc "$limit / $o")
        orss=$(calc "$(col "${dir}_ours" 2) / 1024")
        crss=$(calc "$(col "${dir}_curl" 2) / 1024")
        what=$([ "$dir" = dl ] && echo download || echo upload)
        printf '%-8s %-9s %9s %9s %9s %9s %8s %7sMiB %7sMiB\n' "${mib}MiB" "$what" "$o" "$c" "$r" "$limit" "$ratio" "$orss" "$crss"
    done
    echo "         throughput: ours dl $(calc "$mib / $(col dl_ours 1)") MiB/s, ul $(calc "$mib / $(col ul_ours 1)") MiB/s; rhash $(calc "$mib / $r") MiB/s; curl dl $(calc "$mib / $(col dl_curl 1)") MiB/s, ul $(calc "$mib / $(col ul_curl 1)") MiB/s"
    rm -f "$f"
done
echo "ratio = limit / ours, where limit = max(curl, rhash) in the same run (goal >= 0.9); RSS = peak (goal < 40 MiB)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
