#!/usr/bin/env python3
"""The Python side of bench/textfsm.sh: parses the whole shared ntc-templates corpus with
ntc_templates.parse.parse_output (Python textfsm and clitable), as netmiko does.

Usage: textfsm_peer.py CORPUS_DIR [ROUNDS] [--check]

Reads every case's output first, then parses every case ROUNDS times (default 1). Prints one JSON
line like examples/textfsm_corpus.rs: cases, parses, seconds spent importing and parsing, and with
--check how many cases equal the expected records (exit 1 if any differs).
"""
import json
import os
import sys
import time


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    check = "--check" in sys.argv[1:]
    corpus = args[0]
    rounds = int(args[1]) if len(args) > 1 else 1
    cases = []
    with open(os.path.join(corpus, "manifest.jsonl")) as manifest:
        for line in manifest:
            if line.strip():
                case = json.loads(line)
                with open(os.path.join(corpus, case["raw"]), encoding="utf-8", newline="") as f:
                    raw = f.read()
                expected = None
                if check:
                    with open(os.path.join(corpus, case["expected"]), encoding="utf-8") as f:
                        expected = json.load(f)
                cases.append((case["platform"], case["command"], raw, expected))

    start = time.perf_counter()
    from ntc_templates.parse import parse_output
    opened = time.perf_counter() - start
    results = []
    start = time.perf_counter()
    for round_ in range(rounds):
        for platform, command, raw, _ in cases:
            parsed = parse_output(platform=platform, command=command, data=raw)
            if round_ == 0:
                results.append(parsed)
    parsing = time.perf_counter() - start

    equal = sum(1 for got, case in zip(results, cases) if got == case[3]) if check else None
    print(json.dumps({
        "engine": "python",
        "cases": len(cases),
        "parses": len(cases) * rounds,
        "equal": equal,
        "open_s": opened,
        "parse_s": parsing,
    }))
    sys.exit(1 if check and equal != len(cases) else 0)


if __name__ == "__main__":
    main()
