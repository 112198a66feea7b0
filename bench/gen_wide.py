#!/usr/bin/env python3
"""Writes a wide schema pair and a 60-assignment mapping for timing `mapc check` (issue 7: under 50 ms
for 60 assignments against an 800-field schema).

usage: gen_wide.py DIR   (writes DIR/schemas/wide/{source,target}.json and DIR/wide.map)
"""

import json
import os
import sys

TYPES = ["string", "string", "string", "int", "decimal", "bool", "date", "datetime", "picklist", "id"]
STAGES = ["new", "open", "working", "qualified", "won", "lost"]


def source_fields():
    fields = []
    for i in range(800):
        t = TYPES[i % len(TYPES)]
        f = {"name": "f%03d_%s" % (i, t), "label": "Source field %d" % i, "type": t}
        if t == "picklist":
            f["values"] = STAGES
        if t == "string" and i % 30 == 0:
            f["format"] = "email"
        fields.append(f)
    return fields


def target_fields():
    fields = [{"name": "Key__c", "type": "string", "maxLength": 64, "unique": True, "externalId": True}]
    for i in range(100):
        t = ["string", "int", "decimal", "bool", "date", "datetime", "picklist"][i % 7]
        f = {"name": "T%03d" % i, "type": t}
        if t == "string":
            f["maxLength"] = 255
        if t == "picklist":
            f["values"] = ["Open", "Working", "Closed"]
        if i % 10 == 0 and i < 59:
            f["required"] = True
            f["nullable"] = False
        fields.append(f)
    return fields


def src(kind, k):
    """The k-th source field of a type (cycling over the 800)."""
    names = [f["name"] for f in source_fields() if f["type"] == kind]
    return names[(k * 7) % len(names)]


def expression(target, k):
    t = target["type"]
    required = target.get("required", False)
    if t == "string":
        forms = [
            "null_if_blank(trim(%s)) ?? \"none\"" % src("string", k),
            "lower(trim(%s)) ?? \"x\"" % src("string", k),
            "concat(%s, \" \", %s)" % (src("string", k), src("string", k + 1)),
            "if blank(%s) then \"n/a\" else left(%s, 40)" % (src("string", k), src("string", k)),
            "join(\", \", %s, %s, %s)" % (src("string", k), src("string", k + 1), src("string", k + 2)),
            "to_string(%s) ?? \"0\"" % src("int", k),
        ]
        return forms[k % len(forms)]
    if t == "int":
        forms = ["%s ?? 0" % src("int", k), "try_int(%s) ?? 0" % src("string", k), "(%s ?? 0) + 1" % src("int", k)]
        return forms[k % len(forms)]
    if t == "decimal":
        forms = ["%s ?? 0.0" % src("decimal", k), "try_decimal(%s) ?? 0.0" % src("string", k)]
        return forms[k % len(forms)]
    if t == "bool":
        return "%s == \"yes\"" % src("string", k) if k % 2 else "%s ?? false" % src("bool", k)
    if t == "date":
        return "%s ?? to_date(\"2024-01-01\")" % src("date", k) if required else src("date", k)
    if t == "datetime":
        return "%s ?? to_datetime(\"2024-01-01T00:00:00Z\")" % src("datetime", k) if required else src("datetime", k)
    if t == "picklist":
        s = src("picklist", k)
        return ("match %s {\n    \"new\", \"open\" => \"Open\"\n    \"working\", \"qualified\" => \"Working\"\n"
                "    \"won\", \"lost\" => \"Closed\"\n    _ => \"Open\"\n}" % s)
    raise ValueError(t)


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "schemas", "wide"), exist_ok=True)
    with open(os.path.join(out, "schemas", "wide", "source.json"), "w") as f:
        json.dump({"platform": "wide", "object": "source", "fields": source_fields()}, f, indent=1)
    targets = target_fields()
    with open(os.path.join(out, "schemas", "wide", "target.json"), "w") as f:
        json.dump({"platform": "wide", "object": "target", "fields": targets}, f, indent=1)
    lines = ["# 60 assignments against an 800-field source schema (bench/gen_wide.py).",
             "mapping wide.source -> wide.target", "key Key__c", "skip when blank(%s)" % src("string", 0), "",
             "Key__c = trim(%s)" % src("string", 0)]
    for k, t in enumerate(targets[1:60]):
        lines.append("%s = %s" % (t["name"], expression(t, k)))
    with open(os.path.join(out, "wide.map"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
