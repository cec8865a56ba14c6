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
    for other in [floor] + [r for name, r in rows.items() if name.startswith("nornir")]:
        print(f"| netrun command ÷ {other['name']} | {ratio(netrun['wall'], other['wall'])} "
              f"| {ratio(netrun['cpu'], other['cpu'])} | {ratio(netrun['rss_mb'], other['rss_mb'])} |")

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
