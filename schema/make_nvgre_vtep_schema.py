#!/usr/bin/python3
"""Makes nvgred's OVSDB schema from Open vSwitch's hardware_vtep schema (vtep(5)).

    make_nvgre_vtep_schema.py /usr/share/openvswitch/vtep.ovsschema OUT.ovsschema

The one change, as Microsoft's MS_VTEP makes it: Physical_Locator.encapsulation_type accepts
"nvgre_over_ipv4" and "nvgre_over_ipv6" besides "vxlan_over_ipv4". Every table and column keeps
its hardware_vtep name and type, so hardware_vtep tooling (vtep-ctl, ovsdb-client, controllers)
works on the database; the database keeps the name "hardware_vtep". The version's patch level
goes up by one (a compatible extension) and the checksum, which no longer matches, is dropped.
docs/ovsdb.md lists the tables and columns nvgred uses and what they mean for its datapath.
"""

import json
import sys

NVGRE_TYPES = ["nvgre_over_ipv4", "nvgre_over_ipv6"]


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    if schema.get("name") != "hardware_vtep":
        print(f"{sys.argv[1]}: not the hardware_vtep schema", file=sys.stderr)
        return 1
    key = schema["tables"]["Physical_Locator"]["columns"]["encapsulation_type"]["type"]["key"]
    tag, values = key["enum"]
    if tag != "set":
        values = [values]
    for t in NVGRE_TYPES:
        if t not in values:
            values.append(t)
    key["enum"] = ["set", values]
    major, minor, patch = (int(x) for x in schema["version"].split("."))
    schema["version"] = f"{major}.{minor}.{patch + 1}"
    schema.pop("cksum", None)
    with open(sys.argv[2], "w") as f:
        json.dump(schema, f, indent=2, sort_keys=True)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
