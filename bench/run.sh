#!/usr/bin/env bash
# SSH fleet benchmark: netrun vs. a minimal russh client (the floor) vs. nornir (optional), all
# against one `netrun lab` process simulating N ios devices on 127.0.0.1.
#
# Usage: bench/run.sh N [--peers] [--smoke]
#   --peers  also run nornir+netmiko and nornir+scrapli (venv in $BENCH_VENV, default
#            ~/.cache/netrun-bench-venv, created from PyPI on first use)
#   --smoke  netrun and the floor only; exit non-zero unless every host succeeded and the
#            3-command task used exactly one TCP connection per host (CI)
# Env: BENCH_WORKERS (default 100), BENCH_KEEP=1 keeps the temp dir.
set -euo pipefail

usage() { echo "usage: bench/run.sh N [--peers] [--smoke]" >&2; exit 2; }
[ $# -ge 1 ] || usage
n=$1; shift
[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || usage
peers=0; smoke=0
for arg in "$@"; do
    case $arg in
        --peers) peers=1 ;;
        --smoke) smoke=1 ;;
        *) usage ;;
    esac
done
[ $smoke = 1 ] && peers=0
workers=${BENCH_WORKERS:-100}
root=$(cd "$(dirname "$0")/.." && pwd)
bench=$root/bench

[ -x /usr/bin/time ] || { echo "bench/run.sh needs GNU time (/usr/bin/time): apt-get install time" >&2; exit 2; }
# One listening socket per device plus the connections: raise the descriptor limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin netrun --example ssh_floor
netrun=$root/target/release/netrun
floor=$root/target/release/examples/ssh_floor

work=$(mktemp -d)
lab_pid=
cleanup() {
    if [ -n "$lab_pid" ]; then kill -TERM "$lab_pid" 2>/dev/null || true; wait "$lab_pid" 2>/dev/null || true; fi
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

user=netops; password=bench-secret

# --- the lab: a free block of N ports below the ephemeral range, retried if one is taken -----
start_lab() {
    local tries
    for tries in 1 2 3 4 5; do
        base=$(python3 "$bench/lab_ports.py" "$n")
        python3 "$bench/gen_lab_inventory.py" "$n" "$base" "$user" "$password" "$work/inv"
        rm -f "$work/counters.json"
        "$netrun" --inventory "$work/inv" lab --listen "127.0.0.1:$base" --counters "$work/counters.json" \
            > "$work/lab.out" 2> "$work/lab.err" &
        lab_pid=$!
        local i
        for i in $(seq 1 600); do
            [ -s "$work/counters.json" ] && return 0
            kill -0 "$lab_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -TERM "$lab_pid" 2>/dev/null || true; wait "$lab_pid" 2>/dev/null || true; lab_pid=
        echo "lab did not start on port $base (try $tries): $(head -c 500 "$work/lab.err")" >&2
    done
    exit 1
}

# Totals once the lab has no open connection left (counters are rewritten every 200 ms).
lab_totals() {
    local i
    for i in $(seq 1 100); do
        sleep 0.25
        python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; sys.exit(t["open_connections"] != 0)' \
            "$work/counters.json" && break
    done
    python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["tcp_connections"], t["auth_failures"], t["commands"])' \
        "$work/counters.json"
}

results=$work/results.tsv
: > "$results"
# measure NAME FAILED_FROM CMD...: runs CMD under GNU time against the lab and appends one row.
# FAILED_FROM says how to count failed hosts from stdout: netrun (json summary), floor, nornir.
measure() {
    local name=$1 kind=$2; shift 2
    read -r c0 _ m0 < <(lab_totals)
    local rc=0
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > "$work/out.json" 2> "$work/err" || rc=$?
    read -r c1 af m1 < <(lab_totals)
    read -r wall user_s sys_s rss < <(tail -n1 "$work/time")
    local failed
    failed=$(python3 "$bench/count_failed.py" "$kind" "$work/out.json" "$n") || failed=ERR
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$wall" "$user_s" "$sys_s" "$rss" \
        "$failed" "$((c1 - c0))" "$((m1 - m0))" "$rc" "$af" >> "$results"
    echo "  $name: ${wall}s wall, ${user_s}+${sys_s}s CPU, ${rss} KiB, failed=$failed, tcp=$((c1 - c0)), rc=$rc" >&2
    if [ "$failed" != 0 ]; then
        echo "  --- $name stderr (head) ---" >&2; head -c 1500 "$work/err" >&2; echo >&2
    fi
}

mkdir -p "$work/tasks"
cat > "$work/tasks/bench3.yaml" <<'EOF'
description: Three show commands on one connection
steps:
  - name: version
    command: show version
  - name: interfaces
    command: show ip interface brief
  - name: clock
    command: show clock
EOF

start_lab
echo "lab: $n ios devices on 127.0.0.1:$base-$((base + n - 1)), pid $lab_pid; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

measure "netrun command" netrun "$netrun" --inventory "$work/inv" command "show version" --workers "$workers" --output json
measure "netrun run (3 commands)" netrun "$netrun" --inventory "$work/inv" --tasks "$work/tasks" run bench3 --workers "$workers" --output json
measure "floor (russh)" floor "$floor" 127.0.0.1 "$base" "$n" "$user" "$password" "$workers" "show version"

if [ $peers = 1 ]; then
    venv=${BENCH_VENV:-$HOME/.cache/netrun-bench-venv}
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import nornir_netmiko, nornir_scrapli' 2>/dev/null; then
        echo "creating $venv (nornir, nornir_netmiko, nornir_scrapli from PyPI)" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet 'nornir>=3,<4' nornir_netmiko nornir_scrapli >&2
    fi
    measure "nornir+netmiko" nornir "$venv/bin/python" "$bench/nornir_peer.py" netmiko "$work/inv" "$workers"
    measure "nornir+scrapli" nornir "$venv/bin/python" "$bench/nornir_peer.py" scrapli "$work/inv" "$workers"
fi

load=$(cut -d' ' -f1-3 /proc/loadavg)
versions="netrun $("$netrun" --version | cut -d' ' -f2), russh $(grep -A1 '^name = "russh"$' "$root/Cargo.lock" | sed -n 's/version = "\(.*\)"/\1/p')"
if [ $peers = 1 ]; then
    versions="$versions, $("$venv/bin/python" -c 'import importlib.metadata as m; print(", ".join(p + " " + m.version(p) for p in ["nornir", "nornir_netmiko", "netmiko", "nornir_scrapli", "scrapli"]))')"
fi
python3 "$bench/report.py" "$results" "$n" "$workers" "$load" "$versions" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc)"

if [ $smoke = 1 ]; then
    python3 "$bench/report.py" --check "$results" "$n"
fi
