#!/usr/bin/env bash
# Hostile input files: wall time, peak memory and exit code of netrun on each input fault that
# issue 12 lists (special files, deep nesting, alias bombs, bytes that are not text, long group
# and subtask chains with and without a cycle). Each must end quickly with exit 0 or 2.
# Usage: bench/hostile-input.sh        NETRUN=path/to/netrun measures another build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${NETRUN:-}" ]; then
    cargo build --release --quiet --manifest-path "$root/Cargo.toml"
    NETRUN="$root/target/release/netrun"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "netrun $("$NETRUN" --version | cut -d' ' -f2), $(nproc) cores"
echo "| input | command | exit | wall s | peak RSS MB |"
echo "|---|---|---:|---:|---:|"

# fresh NAME: an empty case directory with a one-host inventory.
fresh() {
    rm -rf "$work/case"
    mkdir -p "$work/case/inventory" "$work/case/tasks"
    echo 'r1: {hostname: 127.0.0.1, platform: ios, username: u, password: p}' > "$work/case/inventory/hosts.yaml"
}

# measure LABEL ARGS...: runs netrun in the case directory (killed after 120 s).
measure() {
    local label=$1
    shift
    set +e
    (cd "$work/case" && /usr/bin/time -f "%e %M" -o "$work/time" timeout 120 "$NETRUN" "$@" \
        > /dev/null 2> "$work/err")
    local code=$?
    set -e
    read -r wall kib < <(tail -n 1 "$work/time")
    printf '| %s | `netrun %s` | %d | %.2f | %.0f |\n' "$label" "$*" "$code" "$wall" \
        "$(echo "$kib / 1024" | bc -l)"
}

fresh
rm "$work/case/inventory/hosts.yaml"
mkfifo "$work/case/inventory/hosts.yaml"
measure "hosts.yaml is a FIFO" inventory

fresh
ln -sf /dev/zero "$work/case/inventory/hosts.yaml"
measure "hosts.yaml is a link to /dev/zero" inventory

fresh
python3 -c "import sys; sys.stdout.buffer.write(b'r1:\n  data: {site: caf\xe9}\n' + b'x' * 10)" \
    > "$work/case/inventory/hosts.yaml"
measure "a byte that is not UTF-8" inventory

fresh
python3 -c "print('r1:\n  data:\n    deep: ' + '[' * 1000000 + ']' * 1000000)" \
    > "$work/case/inventory/hosts.yaml"
measure "flow nesting 1,000,000 deep (2 MB)" inventory

fresh
python3 -c "
print('r1:\n  data:\n    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]')
for i in range(1, 9):
    print(f'    l{i}: &l{i} [' + ', '.join([f'*l{i-1}'] * 10) + ']')
" > "$work/case/inventory/hosts.yaml"
measure "alias bomb (10^9 strings from 700 bytes)" inventory

fresh
python3 -c "
for i in range(200000):
    print(f'h{i}: {{hostname: 10.0.0.1, data: {{pad: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx}}}}')
print('bomb:\n  data:\n    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]')
for i in range(1, 9):
    print(f'    l{i}: &l{i} [' + ', '.join([f'*l{i-1}'] * 10) + ']')
" > "$work/case/inventory/hosts.yaml"
measure "alias bomb after 200,000 hosts (14 MB)" inventory

fresh
echo 'r1: {groups: [g0]}' > "$work/case/inventory/hosts.yaml"
python3 -c "
n = 100000
for i in range(n - 1):
    print(f'g{i}: {{groups: [g{i + 1}]}}')
print(f'g{n - 1}: {{platform: eos}}')
" > "$work/case/inventory/groups.yaml"
measure "100,000 nested groups" inventory --filter groups=g99999
python3 -c "
n = 100000
for i in range(n - 1):
    print(f'g{i}: {{groups: [g{i + 1}]}}')
print(f'g{n - 1}: {{groups: [g0]}}')
" > "$work/case/inventory/groups.yaml"
measure "100,000 groups in one cycle" inventory

fresh
python3 -c "
n = 5000
for i in range(n - 1):
    open(f'$work/case/tasks/t{i}.yaml', 'w').write(f'steps:\n  - task: t{i + 1}\n')
open(f'$work/case/tasks/t{n - 1}.yaml', 'w').write('steps:\n  - command: show version\n')
"
measure "5,000 chained subtasks" check
echo 'steps:
  - task: t0' > "$work/case/tasks/t4999.yaml"
measure "5,000 subtasks in one cycle" check
