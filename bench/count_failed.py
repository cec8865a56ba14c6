#!/usr/bin/env python3
"""Counts failed hosts in a contender's stdout. Usage: count_failed.py KIND FILE N
KIND: netrun (`--output json` summary), floor (ssh_floor's JSON line), nornir (nornir_peer.py).
Prints N when the output cannot be read (everything counted as failed)."""
import json
import sys

def main() -> None:
    kind, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    try:
        with open(path) as f:
            text = f.read()
        if kind == "netrun":
            s = json.loads(text)["summary"]
            print(s["hosts"] - s["ok"] if s["hosts"] == n else n - s["ok"])
        else:
            data = json.loads(text.strip().splitlines()[-1])
            print(n - data["ok"])
    except (OSError, ValueError, KeyError, IndexError):
        print(n)

if __name__ == "__main__":
    main()
