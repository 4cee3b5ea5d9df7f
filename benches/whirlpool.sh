#!/usr/bin/env bash
# Whirlpool speed: the criterion bench (ours on the CPU's best compression, ours forced scalar,
# the RustCrypto crate, all on the same 64 MiB), plus `rhash --whirlpool` timed here on the same
# bytes (hyperfine, 10 runs; wall and user + system), passed to the bench so its closing table
# shows them all as ratios.
#
#   benches/whirlpool.sh

source "$(dirname "$0")/lib.sh"
need rhash rhash
need hyperfine hyperfine
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
head -c $((64 << 20)) /dev/urandom >"$WORK/data.bin"
cd "$ROOT"
# Built first, so rhash is timed right before the bench and not beside the compiler.
cargo bench --bench whirlpool --no-run --quiet 2>/dev/null
hyperfine --warmup 2 --runs 10 --export-json "$WORK/rhash.json" "rhash --whirlpool $WORK/data.bin" >&2
RHASH=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['mean'])" "$WORK/rhash.json")
# rhash's CPU time too: on a busy machine its wall time counts the waits for a core.
RHASH_CPU=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results'][0]; print(r['user'] + r['system'])" "$WORK/rhash.json")
BENCH_WHIRLPOOL_FILE="$WORK/data.bin" BENCH_RHASH_SECONDS="$RHASH" BENCH_RHASH_CPU_SECONDS="$RHASH_CPU" cargo bench --bench whirlpool 2>/dev/null | sed -n '/^== /,$p'
