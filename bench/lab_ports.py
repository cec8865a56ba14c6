#!/usr/bin/env python3
"""Prints a base port P such that P..P+N-1 on 127.0.0.1 can all be bound now (below the
ephemeral range, so outgoing connections do not take them). Usage: lab_ports.py N"""
import random
import socket
import sys

def free(base: int, count: int) -> bool:
    for port in range(base, base + count):
        s = socket.socket()
        # As the lab's listeners do (tokio sets it): ports of a previous run in TIME_WAIT are free.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True

def main() -> None:
    count = int(sys.argv[1])
    low, high = 10000, 32000 - count
    if high <= low:
        sys.exit(f"lab_ports.py: {count} ports do not fit in {low}..32000")
    for _ in range(50):
        base = random.randrange(low, high)
        if free(base, count):
            print(base)
            return
    sys.exit("lab_ports.py: no free port block found")

if __name__ == "__main__":
    main()
