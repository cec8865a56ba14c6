#!/usr/bin/env python3
"""The nornir peers of bench/run.sh: `show version` on every host of a SimpleInventory with
nornir's threaded runner. Usage: nornir_peer.py netmiko|scrapli INVENTORY_DIR WORKERS
Prints one JSON line: hosts, ok, failed, seconds."""
import json
import os
import sys
import time

from nornir import InitNornir

def main() -> None:
    plugin, inv, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if plugin == "netmiko":
        from nornir_netmiko.tasks import netmiko_send_command as send
    elif plugin == "scrapli":
        from nornir_scrapli.tasks import send_command as send
    else:
        sys.exit("plugin: netmiko or scrapli")
    start = time.monotonic()
    nr = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": workers}},
        inventory={
            "plugin": "SimpleInventory",
            "options": {
                "host_file": os.path.join(inv, "hosts.yaml"),
                "group_file": os.path.join(inv, "groups.yaml"),
                "defaults_file": os.path.join(inv, "defaults.yaml"),
            },
        },
        logging={"enabled": False},
    )
    key = "command_string" if plugin == "netmiko" else "command"
    result = nr.run(task=send, **{key: "show version"})
    nr.close_connections()
    failed = sorted(result.failed_hosts)
    for name in failed[:3]:
        print(f"{name}: {result[name].exception!r}", file=sys.stderr)
    hosts = len(nr.inventory.hosts)
    print(json.dumps({"hosts": hosts, "ok": hosts - len(failed), "failed": len(failed),
                      "seconds": round(time.monotonic() - start, 3)}))
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()
