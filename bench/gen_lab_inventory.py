#!/usr/bin/env python3
"""Writes an N-host nornir SimpleInventory of ios devices on 127.0.0.1, ports BASE..BASE+N-1,
with one credential: what bench/run.sh serves with `netrun lab` and runs every client against.
Usage: gen_lab_inventory.py N BASE USER PASSWORD DIR"""
import os
import sys

def main() -> None:
    count, base, user, password, out = sys.argv[1:6]
    count, base = int(count), int(base)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "defaults.yaml"), "w") as f:
        f.write(
            f"username: {user}\npassword: {password}\nplatform: ios\n"
            "connection_options:\n"
            "  ssh:\n    extras: {known_hosts: 'off'}\n"
            # Read by the nornir peers only (netrun ignores connection types it does not use).
            "  netmiko:\n    platform: cisco_ios\n"
            "  scrapli:\n    platform: cisco_iosxe\n    extras: {auth_strict_key: false, transport: system}\n"
        )
    with open(os.path.join(out, "groups.yaml"), "w") as f:
        f.write("{}\n")
    with open(os.path.join(out, "hosts.yaml"), "w") as f:
        for i in range(count):
            f.write(f"dev{i:05d}:\n  hostname: 127.0.0.1\n  port: {base + i}\n")

if __name__ == "__main__":
    main()
