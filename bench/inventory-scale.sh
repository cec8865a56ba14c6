#!/usr/bin/env bash
# Inventory scale benchmark: load, resolve and filter an N-host inventory (default 60,000) and
# print wall time and peak memory of `netrun inventory --filter ... --format json`.
# Usage: bench/inventory-scale.sh [N]
set -euo pipefail
n=${1:-60000}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$root/bench/gen_inventory.py" "$n" "$work/inv"
netrun="$root/target/release/netrun"
measure() {
    # GNU time gives the peak RSS; fall back to bash's time when it is missing.
    local label=$1; shift
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f "$label: %e s wall, %U s user, %S s sys, %M KiB peak RSS" "$@" > "$work/out"
    else
        local start=$(date +%s.%N); "$@" > "$work/out"; local end=$(date +%s.%N)
        echo "$label: $(echo "$end - $start" | bc) s wall (install GNU time for memory)"
    fi
    echo "  output: $(wc -c < "$work/out") bytes"
}
echo "netrun $("$netrun" --version | cut -d' ' -f2), $n hosts ($(du -h "$work/inv/hosts.yaml" | cut -f1) hosts.yaml), $(nproc) cores"
measure "all hosts, json          " "$netrun" --inventory "$work/inv" inventory --format json
measure "filter site+role, json   " "$netrun" --inventory "$work/inv" inventory --filter site=site03 --filter role=access --format json
measure "filter groups+cpu, json  " "$netrun" --inventory "$work/inv" inventory --filter groups=global --filter 'cpu>=50' --format json
measure "where expression, json   " "$netrun" --inventory "$work/inv" inventory --where 'site == "site07" and not platform == "eos"' --format json
measure "all hosts, table         " "$netrun" --inventory "$work/inv" inventory
