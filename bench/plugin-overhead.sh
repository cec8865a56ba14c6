#!/usr/bin/env bash
# Per-call overhead of a shared-library plugin in both isolation modes: N hosts x M `call: echo`
# steps through the C example plugin (plugins/c-example/echo.c), in a helper process (the
# default) and in netrun's own process (`isolation: in-process`). Each run is timed with GNU
# time (wall, user+sys CPU of netrun and its helper), R times, and the median kept. The cost of
# one call is the difference between the M-step and the 1-step run divided by the N*(M-1)
# extra calls, so process start, plugin loading and opening connections cancel out.
# The last line is the difference: what running the plugin in a helper adds to each call.
# Usage: bench/plugin-overhead.sh [N] [M] [R]     (defaults 100 hosts, 200 steps, 5 repeats)
set -euo pipefail
n=${1:-100}
m=${2:-200}
r=${3:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --bin netrun --manifest-path "$root/Cargo.toml"
netrun="$root/target/release/netrun"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -shared -fPIC -I "$root/plugins/include" "$root/plugins/c-example/echo.c" -o "$work/echo.so"
mkdir -p "$work/inventory" "$work/tasks"
for i in $(seq 1 "$n"); do printf 'h%05d: {}\n' "$i"; done > "$work/inventory/hosts.yaml"
task() { # task NAME STEPS
    { echo "connection: echo"; echo "steps:"
      for _ in $(seq 1 "$2"); do printf '  - call: echo\n    args: {x: 1, text: hello}\n'; done
    } > "$work/tasks/$1.yaml"
}
task one 1
task many "$m"
for mode in process in-process; do
    printf 'inventory: inventory\ntasks: tasks\nplugins:\n  - {path: echo.so, isolation: %s}\n' \
        "$mode" > "$work/$mode.yaml"
done
# Prints "wall cpu" in seconds, the medians of R runs.
measure() { # measure MODE TASK
    for _ in $(seq 1 "$r"); do
        /usr/bin/time -f "%e %U %S" -o "$work/time" \
            "$netrun" --config "$work/$1.yaml" run "$2" --output json > "$work/out"
        python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; sys.exit(0 if s["ok"]==s["hosts"] else 1)' "$work/out" \
            || { echo "run failed: $1 $2" >&2; exit 1; }
        awk '{print $1, $2 + $3}' "$work/time"
    done | sort -n | awk '{w[NR]=$1; c[NR]=$2} END {m=int((NR+1)/2); print w[m], c[m]}'
}
echo "netrun $("$netrun" --version | cut -d' ' -f2), $n hosts x $m calls, median of $r, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-11s %9s %9s %9s %9s %14s %14s\n' mode "1 wall" "1 cpu" "$m wall" "$m cpu" "wall us/call" "cpu us/call"
for mode in in-process process; do
    read -r w1 c1 < <(measure "$mode" one)
    read -r wm cm < <(measure "$mode" many)
    echo "$mode $w1 $c1 $wm $cm"
done | python3 -c '
import sys
n, m = int(sys.argv[1]), int(sys.argv[2])
calls = n * (m - 1)
per = {}
for line in sys.stdin:
    mode, w1, c1, wm, cm = line.split()
    w1, c1, wm, cm = map(float, (w1, c1, wm, cm))
    per[mode] = ((wm - w1) / calls * 1e6, (cm - c1) / calls * 1e6)
    print(f"{mode:<11} {w1:8.2f}s {c1:8.2f}s {wm:8.2f}s {cm:8.2f}s {per[mode][0]:14.1f} {per[mode][1]:14.1f}")
if len(per) == 2:
    dw = per["process"][0] - per["in-process"][0]
    dc = per["process"][1] - per["in-process"][1]
    print("isolation".ljust(11) + " " * 40 + f"{dw:+14.1f} {dc:+14.1f}")
' "$n" "$m"
