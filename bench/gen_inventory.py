#!/usr/bin/env python3
"""Writes an N-host nornir SimpleInventory (hosts/groups/defaults) for netrun's scale benchmark.

Hosts spread over 20 sites, 4 roles and 5 platforms, with nested groups and a few data keys
each, which is what a large real inventory looks like."""
import os
import sys

def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: gen_inventory.py N DIR")
    count, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    platforms = ["ios", "eos", "nxos", "junos", "iosxr"]
    roles = ["edge", "spine", "leaf", "access"]
    with open(os.path.join(out, "defaults.yaml"), "w") as f:
        f.write("username: netops\npassword: secret\nport: 22\ndata:\n  domain: example.net\n")
    with open(os.path.join(out, "groups.yaml"), "w") as f:
        f.write("global:\n  data: {ntp: [192.0.2.1, 192.0.2.2]}\n")
        for s in range(20):
            f.write(f"site{s:02d}:\n  groups: [global]\n  data: {{site: site{s:02d}, region: r{s % 4}}}\n")
        for r in roles:
            f.write(f"{r}:\n  data: {{role: {r}}}\n")
        for p in platforms:
            f.write(f"{p}:\n  platform: {p}\n  connection_options:\n    ssh:\n      extras: {{mode: shell}}\n")
    with open(os.path.join(out, "hosts.yaml"), "w") as f:
        for i in range(count):
            site, role, plat = i % 20, roles[i % 4], platforms[i % 5]
            f.write(
                f"dev{i:06d}.site{site:02d}:\n"
                f"  hostname: 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n"
                f"  groups: [site{site:02d}, {role}, {plat}]\n"
                f"  data:\n    serial: SN{i:08d}\n    rack: R{i % 40}\n    cpu: {i % 100}\n"
            )

if __name__ == "__main__":
    main()
