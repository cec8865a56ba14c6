#!/usr/bin/env bash
# Jump host benchmark: N lab devices reached directly vs. through one OpenSSH sshd bastion on
# 127.0.0.1 (netrun's shared bastion connection, direct-tcpip channels). Reports wall, CPU, peak
# RSS, failed hosts, and the logins the bastion accepted (expected: 1 for the whole run).
#
# Usage: bench/jump-host.sh N      (as root: sshd lets the bench log in as root with a key)
# Env: BENCH_WORKERS (default 100), NETRUN (binary; default: a release build), BENCH_KEEP=1.
set -euo pipefail

n=${1:?usage: bench/jump-host.sh N}
workers=${BENCH_WORKERS:-100}
root=$(cd "$(dirname "$0")/.." && pwd)
bench=$root/bench
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
[ -x /usr/sbin/sshd ] || { echo "needs sshd: apt-get install openssh-server" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ -z "${NETRUN:-}" ]; then
    cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin netrun
    NETRUN=$root/target/release/netrun
fi

work=$(mktemp -d)
lab_pid=; sshd_pid=
cleanup() {
    for pid in $lab_pid $sshd_pid; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The bastion: sshd on a free loopback port, key login for this user only.
mkdir -p "$work/home/.ssh" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/home/.ssh/id_ed25519"
cp "$work/home/.ssh/id_ed25519.pub" "$work/authorized_keys"
bport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
me=$(id -un)
cat > "$work/sshd_config" <<CFG
Port $bport
ListenAddress 127.0.0.1
HostKey $work/host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
StrictModes no
PasswordAuthentication no
PermitRootLogin prohibit-password
AllowUsers $me
AllowTcpForwarding yes
LogLevel VERBOSE
CFG
/usr/sbin/sshd -D -e -f "$work/sshd_config" 2> "$work/sshd.log" &
sshd_pid=$!

# The lab: N ios devices.
base=$(python3 "$bench/lab_ports.py" "$n")
python3 "$bench/gen_lab_inventory.py" "$n" "$base" netops bench-secret "$work/inv"
"$NETRUN" --inventory "$work/inv" lab --listen "127.0.0.1:$base" --counters "$work/counters.json" \
    > "$work/lab.out" 2> "$work/lab.err" &
lab_pid=$!
for _ in $(seq 1 600); do
    grep -q "Server listening" "$work/sshd.log" 2>/dev/null && [ -s "$work/counters.json" ] && break
    sleep 0.1
done

# The same devices behind the bastion: jump_host on every host.
cp -r "$work/inv" "$work/inv-jump"
python3 - "$work/inv-jump/defaults.yaml" "$me" "$bport" <<'PY'
import sys
path, user, port = sys.argv[1:4]
text = open(path).read().replace(
    "extras: {known_hosts: 'off'}",
    f"extras: {{known_hosts: 'off', jump_host: '{user}@127.0.0.1:{port}'}}")
open(path, "w").write(text)
PY

logins() { grep -c "Accepted publickey" "$work/sshd.log" || true; }
printf 'case\twall_s\tuser_s\tsys_s\tmax_rss_kib\tfailed\tbastion_logins\n'
measure() {
    local name=$1 inv=$2 before after
    before=$(logins)
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" env HOME="$work/home" SSH_AUTH_SOCK= \
        "$NETRUN" --inventory "$inv" --ssh-config none command "show version" \
        --workers "$workers" --output json > "$work/out.json" 2> "$work/err" || true
    after=$(logins)
    read -r wall u s rss < "$work/time"
    failed=$(python3 "$bench/count_failed.py" netrun "$work/out.json" "$n") || failed=ERR
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$wall" "$u" "$s" "$rss" "$failed" "$((after - before))"
    [ "$failed" = 0 ] || head -c 1500 "$work/err" >&2
}
measure direct "$work/inv"
measure "via bastion" "$work/inv-jump"
