#!/usr/bin/env python3
"""Writes a hosts.yaml of about SIZE_MB megabytes in one of the shapes that decide how netrun
parses it (bench/inventory-input.sh), plus a small groups.yaml.

Shapes:
  plain     plain block mapping, one host after the other
  anchors   the first host defines `&common` data, every host uses `*common`
  merge     like anchors, through a `<<: *common` data key
  docstart  starts with `---` and ends with `...`
  all       anchors, merge keys, `---` and `...` together
  fallback  plain, with a `%YAML 1.2` directive: always parsed as one piece
  error     plain, with an unknown field in the last host: chunks fail, the whole file is parsed
"""
import os
import sys

SHAPES = ["plain", "anchors", "merge", "docstart", "all", "fallback", "error"]


def main() -> None:
    if len(sys.argv) != 4 or sys.argv[2] not in SHAPES:
        sys.exit(f"usage: gen_inventory_input.py SIZE_MB {{{'|'.join(SHAPES)}}} DIR")
    size, shape, out = int(sys.argv[1]) * 1_000_000, sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "groups.yaml"), "w") as f:
        for s in range(20):
            f.write(f"site{s:02d}:\n  data: {{site: site{s:02d}}}\n")
        for p in ["ios", "eos", "nxos", "junos"]:
            f.write(f"{p}: {{platform: {p}}}\n")
    anchors = shape in ("anchors", "all")
    merge = shape in ("merge", "all")
    written = 0
    with open(os.path.join(out, "hosts.yaml"), "w") as f:
        def put(text: str) -> None:
            nonlocal written
            f.write(text)
            written += len(text)

        if shape == "fallback":
            put("%YAML 1.2\n---\n")
        if shape in ("docstart", "all"):
            put("---\n# generated for bench/inventory-input.sh\n")
        i = 0
        while written < size:
            site, plat = i % 20, ["ios", "eos", "nxos", "junos"][i % 4]
            host = (
                f"dev{i:07d}.site{site:02d}:\n"
                f"  hostname: 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n"
                f"  groups: [site{site:02d}, {plat}]\n"
                f"  data:\n    serial: SN{i:08d}\n    rack: R{i % 40}\n    cpu: {i % 100}\n"
            )
            if i == 0 and (anchors or merge):
                host += "    common: &common {ntp: [192.0.2.1, 192.0.2.2], syslog: 192.0.2.9}\n"
            elif anchors:
                host += "    common: *common\n"
            if i > 0 and merge:
                host += "    <<: *common\n"
            put(host)
            i += 1
        if shape == "error":
            put("dev-last:\n  hostname: 10.0.0.1\n  prot: 22\n")
        if shape in ("docstart", "all"):
            put("...\n")
    print(f"{shape}: {i} hosts, {written / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
