#!/usr/bin/env python3
"""Turns bench/run.sh's results.tsv into the markdown table (and, with --check, the smoke
assertions). Usage: report.py RESULTS N WORKERS LOAD VERSIONS DATE CORES
                    report.py --check RESULTS N"""
import sys

COLS = ["name", "wall", "user", "sys", "rss_kib", "failed", "tcp", "commands", "rc", "auth_fail"]

def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                row = dict(zip(COLS, line.rstrip("\n").split("\t")))
                for k in ("wall", "user", "sys"):
                    row[k] = float(row[k])
                row["cpu"] = row["user"] + row["sys"]
                row["rss_mb"] = int(row["rss_kib"]) / 1024
                rows[row["name"]] = row
    return rows

def ratio(a, b):
    return f"{a / b:.2f}×" if b else "n/a"

def speedup(a, b):
    """netrun ÷ peer, with how many times faster netrun is when it is."""
    if not a or not b:
        return ratio(a, b)
    return f"{a / b:.2f}× ({b / a:.1f}× less)" if a < b else ratio(a, b)

def table(rows, n, workers, load_avg, versions, date, cores):
    print(f"\n### {n} hosts, {workers} workers — {date}, load {load_avg}, {cores} cores")
    print(f"\n{versions}\n")
    print("| contender | wall s | CPU s (user+sys) | peak RSS MB | failed hosts | TCP conns | lab commands |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows.values():
        print(f"| {r['name']} | {r['wall']:.2f} | {r['cpu']:.2f} ({r['user']:.2f}+{r['sys']:.2f}) "
              f"| {r['rss_mb']:.1f} | {r['failed']} | {r['tcp']} | {r['commands']} |")
    floor = rows.get("floor (russh)")
    netrun = rows.get("netrun command")
    if not (floor and netrun):
        return
    print("\n| ratio | wall | CPU | peak RSS |")
    print("|---|---:|---:|---:|")
    peers = [r for name, r in rows.items() if name.startswith("nornir")]
    for other in [floor] + peers:
        show = ratio if other is floor else speedup
        print(f"| netrun command ÷ {other['name']} | {show(netrun['wall'], other['wall'])} "
              f"| {show(netrun['cpu'], other['cpu'])} | {show(netrun['rss_mb'], other['rss_mb'])} |")
    targets(rows, netrun, floor, peers, int(n))

def targets(rows, netrun, floor, peers, n):
    """The issue's targets, judged on this run. Speed and memory targets are stated for 1,000
    hosts (100 workers); zero failures and one connection per host apply at every size."""
    verdict = lambda ok: "met" if ok else "**missed**"
    lines = []
    if n == 1000:
        lines.append((f"wall ≤ 1.3× floor ({netrun['wall'] / floor['wall']:.2f}×)",
                      netrun["wall"] <= 1.3 * floor["wall"]))
        for p in peers:
            lines.append((f"≥ 15× ahead of {p['name']}: wall {p['wall'] / netrun['wall']:.1f}×, "
                          f"CPU {p['cpu'] / netrun['cpu']:.1f}×",
                          p["wall"] >= 15 * netrun["wall"] and p["cpu"] >= 15 * netrun["cpu"]))
        lines.append((f"peak RSS ≤ 40 MB ({netrun['rss_mb']:.1f} MB)", netrun["rss_mb"] <= 40))
    netrun_rows = [r for name, r in rows.items() if name.startswith("netrun")]
    lines.append(("zero failed hosts (netrun)", all(r["failed"] == "0" for r in netrun_rows)))
    task = rows.get("netrun run (3 commands)")
    if task:
        lines.append((f"one SSH connection per host for the 3-command task ({task['tcp']} for {n})",
                      task["tcp"] == str(n)))
    print("\n| target | verdict |")
    print("|---|---|")
    for text, ok in lines:
        print(f"| {text} | {verdict(ok)} |")

def check(rows, n):
    problems = []
    for r in rows.values():
        if r["failed"] != "0":
            problems.append(f"{r['name']}: {r['failed']} failed hosts")
        if r["rc"] != "0":
            problems.append(f"{r['name']}: exit status {r['rc']}")
    task = rows.get("netrun run (3 commands)")
    if task is None:
        problems.append("the 3-command task did not run")
    elif task["tcp"] != str(n):
        problems.append(f"3-command task: {task['tcp']} TCP connections for {n} hosts (want exactly {n})")
    for p in problems:
        print(f"SMOKE FAIL: {p}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"smoke: {len(rows)} contenders, {n} hosts, 0 failed, one connection per host for the task")

if __name__ == "__main__":
    if sys.argv[1] == "--check":
        check(load(sys.argv[2]), int(sys.argv[3]))
    else:
        path, n, workers, load_avg, versions, date, cores = sys.argv[1:8]
        table(load(path), n, workers, load_avg, versions, date, cores)
