#!/usr/bin/env bash
# Inventory input benchmark: wall time and peak memory of loading a large hosts.yaml in each
# shape that decides how netrun parses it (plain, anchors and aliases, merge keys, `---`/`...`,
# a directive that forces the one-piece parse, an error that forces it after the chunks).
# Usage: bench/inventory-input.sh [SIZE_MB...]   (default: 50 200)
# NETRUN=path/to/netrun measures another build (e.g. an older one) with the same files.
set -euo pipefail
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(50 200)
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${NETRUN:-}" ]; then
    cargo build --release --quiet --manifest-path "$root/Cargo.toml"
    NETRUN="$root/target/release/netrun"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "netrun $("$NETRUN" --version | cut -d' ' -f2), $(nproc) cores"
echo "| size | shape | exit | wall s | CPU s (user+sys) | peak RSS MB | RSS / file size |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for size in "${sizes[@]}"; do
    for shape in plain anchors merge docstart all fallback error; do
        rm -rf "$work/inv"
        python3 "$root/bench/gen_inventory_input.py" "$size" "$shape" "$work/inv" > /dev/null
        bytes=$(stat -c %s "$work/inv/hosts.yaml")
        # `--hosts` selects one host: the load is measured, not the printing of a million rows.
        set +e
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$NETRUN" --inventory "$work/inv" \
            inventory --hosts dev0000001.site01 > /dev/null 2> "$work/err"
        code=$?
        set -e
        # GNU time writes "Command exited with non-zero status N" first when the exit is not 0.
        read -r wall user sys kib < <(tail -n 1 "$work/time")
        awk -v s="$size" -v sh="$shape" -v c="$code" -v w="$wall" -v u="$user" -v y="$sys" \
            -v k="$kib" -v b="$bytes" 'BEGIN { printf "| %d MB | %s | %d | %.1f | %.1f | %.0f | %.1f |\n",
            s, sh, c, w, u + y, k / 1024, k * 1024 / b }'
    done
done
