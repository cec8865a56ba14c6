#!/usr/bin/env bash
# TextFSM benchmark: parses the whole shared ntc-templates corpus with netrun's engine
# (examples/textfsm_corpus.rs, release build) and with Python textfsm through
# ntc_templates.parse.parse_output (bench/textfsm_peer.py), one after the other, each as its own
# process under GNU time; prints wall and CPU time of both and the ratio.
#
# Usage: bench/textfsm.sh
# Env: BENCH_RUNS (default 3: runs of each contender, alternating; the median is reported),
#      BENCH_ROUNDS (default 1: passes over the corpus per run; netrun compiles each template
#      once per run and reuses it, parse_output re-reads templates on every call),
#      TEXTFSM_CORPUS (default ../shared/ntc-corpus beside the repository).
# First each contender runs once with --check (records compared with the corpus, untimed; the
# script fails if any differs), then the timed runs parse without comparing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${TEXTFSM_CORPUS:-$root/../shared/ntc-corpus}
runs=${BENCH_RUNS:-3}
rounds=${BENCH_ROUNDS:-1}
[ -x /usr/bin/time ] || { echo "bench/textfsm.sh needs GNU time (/usr/bin/time): apt-get install time" >&2; exit 2; }
[ -f "$corpus/manifest.jsonl" ] || { echo "bench/textfsm.sh: no corpus at $corpus" >&2; exit 2; }
templates=$(python3 -c 'import ntc_templates, os; print(os.path.join(os.path.dirname(ntc_templates.__file__), "templates"))') || {
    echo "bench/textfsm.sh: python3 has no ntc_templates; run tests/prerequisites.sh" >&2; exit 2; }

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --example textfsm_corpus
netrun_bin=$root/target/release/examples/textfsm_corpus

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
measure() { # name command...
    local name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > "$work/out" || {
        echo "bench/textfsm.sh: $name failed:" >&2; cat "$work/out" >&2; exit 1; }
    printf '%s\t%s\t%s\n' "$name" "$(cat "$work/time")" "$(cat "$work/out")" >> "$work/results.tsv"
}
"$netrun_bin" --corpus "$corpus" --templates "$templates" --check > "$work/check.netrun" || {
    echo "bench/textfsm.sh: netrun's records differ from the corpus:" >&2; cat "$work/check.netrun" >&2; exit 1; }
python3 "$root/bench/textfsm_peer.py" "$corpus" 1 --check > "$work/check.python" || {
    echo "bench/textfsm.sh: Python's records differ from the corpus:" >&2; cat "$work/check.python" >&2; exit 1; }
for _ in $(seq 1 "$runs"); do
    measure netrun "$netrun_bin" --corpus "$corpus" --templates "$templates" --rounds "$rounds"
    measure python python3 "$root/bench/textfsm_peer.py" "$corpus" "$rounds"
done

python3 - "$work/results.tsv" "$runs" "$rounds" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$work" <<'PY'
import json, statistics, sys
path, runs, rounds, cores, load, work = sys.argv[1:7]
checked = {n: json.load(open(f"{work}/check.{n}")) for n in ("netrun", "python")}
rows = {}
for line in open(path):
    name, timing, out = line.rstrip("\n").split("\t")
    wall, user, sys_, rss = timing.split()
    rec = json.loads(out)
    rec.update(wall=float(wall), cpu=float(user) + float(sys_), rss_mb=int(rss) / 1024)
    rows.setdefault(name, []).append(rec)
med = {n: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "rss_mb", "open_s", "parse_s")} for n, rs in rows.items()}
first = {n: dict(rs[0], equal=checked[n]["equal"]) for n, rs in rows.items()}
print(f"TextFSM corpus benchmark: {first['netrun']['cases']} cases x {rounds} round(s), median of {runs} runs, "
      f"{cores} cores, load {load}")
print()
print("| contender | equal/cases | wall s | CPU s (user+sys) | peak RSS MB | in-process parse s |")
print("|---|---:|---:|---:|---:|---:|")
label = {"netrun": "netrun (examples/textfsm_corpus)", "python": "Python textfsm 2.1.0 + parse_output"}
for n in ("netrun", "python"):
    m, f = med[n], first[n]
    print(f"| {label[n]} | {f['equal']}/{f['cases']} | {m['wall']:.3f} | {m['cpu']:.3f} | {m['rss_mb']:.1f} | {m['parse_s']:.3f} |")
print()
ratio = lambda k: med["python"][k] / med["netrun"][k] if med["netrun"][k] else float("inf")
print(f"Python / netrun: wall {ratio('wall'):.1f}x, CPU {ratio('cpu'):.1f}x, in-process parse {ratio('parse_s'):.1f}x")
PY
