# Shared by the benchmark scripts (sourced, not run): tools, the release binary, a sandbox of our
# own on loopback, and a private HOME so nothing touches the user's config or queue.
# Not part of `cargo test`: these scripts are run by hand (see benches/README.md).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${FICHIER_BIN:-$ROOT/target/release/fichier-tui}"
KEY="BenchKeyNotReal0000"

# need CMD PACKAGE...: installs the Debian packages when CMD is missing.
need() {
    local cmd="$1"
    shift
    if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "$cmd" ]; then
        echo "installing $* for $cmd" >&2
        if [ "$(id -u)" = 0 ]; then
            apt-get install -y "$@" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$@" >/dev/null; }
        else
            sudo apt-get install -y "$@" >/dev/null
        fi
    fi
}

build_release() {
    if [ -z "${FICHIER_BIN:-}" ]; then
        echo "building the release binary (cargo build --release)" >&2
        (cd "$ROOT" && cargo build --release --quiet)
    fi
    [ -x "$BIN" ] || { echo "no binary at $BIN" >&2; exit 1; }
}

# A scratch folder removed on exit, with a private HOME whose config paces calls fast on
# loopback (transfer figures should not wait on the pacer) unless PACE is set.
setup_home() {
    WORK="$(mktemp -d "${BENCH_TMP:-/tmp}/fichier-bench.XXXXXX")"
    export HOME="$WORK/home"
    export XDG_CONFIG_HOME="$HOME/.config" XDG_STATE_HOME="$HOME/.local/state"
    export XDG_CACHE_HOME="$HOME/.cache" XDG_DATA_HOME="$HOME/.local/share"
    mkdir -p "$XDG_CONFIG_HOME/fichier-tui"
    if [ -n "${PACE:-}" ]; then
        printf 'calls_per_second = %s\n' "$PACE" >"$XDG_CONFIG_HOME/fichier-tui/config.toml"
    else
        printf 'calls_per_second = 50.0\n' >"$XDG_CONFIG_HOME/fichier-tui/config.toml"
    fi
    printf '[transfers]\non_conflict = "overwrite"\n' >>"$XDG_CONFIG_HOME/fichier-tui/config.toml"
    chmod 600 "$XDG_CONFIG_HOME/fichier-tui/config.toml"
    export FICHIER_API_KEY="$KEY"
    unset RCLONE_FICHIER_API_KEY
    trap cleanup EXIT
}

SANDBOX_PID=""
cleanup() {
    if [ -n "$SANDBOX_PID" ]; then
        kill "$SANDBOX_PID" 2>/dev/null || true
        wait "$SANDBOX_PID" 2>/dev/null || true
    fi
    [ -n "${WORK:-}" ] && rm -rf "$WORK"
}

# start_sandbox [ARGS...]: runs `fichier-tui sandbox` on a free port; sets API (the /v1 URL),
# ROOT_URL (http://127.0.0.1:PORT) and SANDBOX_PID, and points the client at it.
start_sandbox() {
    mkdir -p "$WORK/sandbox"
    "$BIN" sandbox --listen 127.0.0.1:0 --key "$KEY" --data "$WORK/sandbox" "$@" >"$WORK/sandbox.out" 2>&1 &
    SANDBOX_PID=$!
    for _ in $(seq 100); do
        API="$(sed -n 's/^API URL: //p' "$WORK/sandbox.out")"
        [ -n "$API" ] && break
        sleep 0.05
    done
    [ -n "$API" ] || { cat "$WORK/sandbox.out" >&2; exit 1; }
    ROOT_URL="${API%/v1}"
    export FICHIER_API_URL="$API"
}

# api ENDPOINT JSON: one API call with curl, as the contract wants it.
api() {
    local method=POST
    [ "$1" = upload/get_upload_server.cgi ] && method=GET
    curl -s -X "$method" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
        ${2:+--data "$2"} "$API/$1"
}

sandbox_stats() { curl -s "$ROOT_URL/sandbox/stats"; }
reset_stats() { curl -s -X POST "$ROOT_URL/sandbox/stats/reset" >/dev/null; }

# CPU seconds (user + system) a process has used so far.
cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$1/stat"
}

# median of the numbers on stdin
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# calc EXPR: floating-point arithmetic
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
