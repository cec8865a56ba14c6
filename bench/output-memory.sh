#!/usr/bin/env bash
# Memory of a run whose device answers with a large output: one simulated IOS device (a separate
# `netrun lab` process) prints `show tech-support` of SIZE_MB megabytes; netrun runs it with
# --output json into /dev/null under GNU time. Reports peak RSS against the output's size.
#
# Usage: bench/output-memory.sh [SIZE_MB]   (default 100)
set -euo pipefail
mb=${1:-100}
[[ $mb =~ ^[0-9]+$ ]] && [ "$mb" -ge 1 ] || { echo "usage: bench/output-memory.sh [SIZE_MB]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time): apt-get install time" >&2; exit 2; }
cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin netrun
netrun=$root/target/release/netrun

work=$(mktemp -d)
lab_pid=
cleanup() {
    if [ -n "$lab_pid" ]; then kill -TERM "$lab_pid" 2>/dev/null || true; wait "$lab_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# 80 bytes a line (with its newline).
lines=$((mb * 1000 * 1000 / 80))
port=$(python3 "$root/bench/lab_ports.py" 1)
mkdir -p "$work/lab" "$work/client"
cat > "$work/lab/hosts.yaml" <<EOF
big: {platform: ios, username: netops, password: bench-secret, data: {tech_support_lines: $lines}}
EOF
cat > "$work/client/hosts.yaml" <<EOF
big:
  hostname: 127.0.0.1
  port: $port
  platform: ios
  username: netops
  password: bench-secret
  connection_options: {ssh: {extras: {known_hosts: 'off', command_timeout: 600, max_output: 1000000000}}}
EOF
"$netrun" --inventory "$work/lab" lab --listen "127.0.0.1:$port" --counters "$work/counters.json" \
    > "$work/lab.out" 2> "$work/lab.err" &
lab_pid=$!
for _ in $(seq 1 100); do [ -s "$work/counters.json" ] && break; sleep 0.1; done
[ -s "$work/counters.json" ] || { echo "lab did not start: $(cat "$work/lab.err")" >&2; exit 1; }

/usr/bin/time -f '%e %U %S %M' -o "$work/time" \
    "$netrun" --inventory "$work/client" command "show tech-support" --output json > "$work/out.json"
read -r wall user sys rss_kb < "$work/time"
python3 - "$work/out.json" "$wall" "$user" "$sys" "$rss_kb" <<'EOF'
import json, sys
path, wall, user, sys_, rss_kb = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
doc = json.load(open(path))
host = doc["hosts"][0]
out = host["results"][0]["result"] or ""
size = len(out.encode())
rss = rss_kb * 1024
print(f"status {host['status']}; output {size / 1e6:.1f} MB; netrun peak RSS {rss / 1e6:.1f} MB "
      f"= {rss / size:.2f}x the output; wall {wall:.2f} s, CPU {user + sys_:.2f} s")
EOF
