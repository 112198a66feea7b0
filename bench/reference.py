#!/usr/bin/env python3
"""bench/contacts-to-leads.map written by hand in Python: the reference `mapc run` is measured against.

Reads JSONL (a file or standard input), writes one compact JSON lead per mapped contact, with the same
semantics as the mapping: see the comment on each field. Uses orjson when it is installed.

usage: reference.py INPUT.jsonl > leads.jsonl
"""

import re
import sys

try:
    import orjson

    loads = orjson.loads

    def dumps(o):
        return orjson.dumps(o)

except ImportError:  # pragma: no cover - the benchmark reports which one ran
    import json

    loads = json.loads

    def dumps(o):
        return json.dumps(o, ensure_ascii=False, separators=(",", ":")).encode()


STATUS = {
    "lead": "Open - Not Contacted",
    "marketingqualifiedlead": "Working - Contacted",
    "salesqualifiedlead": "Working - Contacted",
    "customer": "Closed - Converted",
    "other": "Closed - Not Converted",
}
GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def blank(s):
    return s is None or s.strip() == ""


def try_int(s):
    """mapc's try_int on text: trimmed; an integer, with thousands separators in groups of three, or
    integral decimal text; otherwise null."""
    if s is None:
        return None
    t = s.strip()
    if GROUPED.fullmatch(t):
        t = t.replace(",", "")
    if t.lstrip("+-").isdigit() and t.isascii():
        return int(t)
    if NUMBER.fullmatch(t):
        d = float(t)
        if d == int(d) and abs(d) < 9.2e18:
            return int(d)
    return None


def lead(c):
    email = c.get("email")
    if blank(email):  # skip when blank(email)
        return None
    company = c.get("company")
    created = c.get("createdate")
    first = c.get("firstname")
    first = first.strip() if first is not None else None
    last = c.get("lastname")
    source = c.get("hs_analytics_source")
    return {
        "HubSpot_Contact_Id__c": c.get("hs_object_id"),
        "Company": "Unknown" if blank(company) else company,
        "Description": None if created is None else "Created in HubSpot on " + created[:10],
        "Email": email.strip().lower(),
        "FirstName": None if blank(first) else first,
        "HasOptedOutOfEmail": c.get("hs_email_optout") == "true",
        "LastName": "Unknown" if blank(last) else last,
        "LeadSource": "Marketing Site" if blank(source) else source,
        "NumberOfEmployees": try_int(c.get("employee_count")),
        "Phone": c.get("phone"),
        "Status": STATUS.get(c.get("lifecyclestage"), "Open - Not Contacted"),
    }


def main():
    src = open(sys.argv[1], "rb") if len(sys.argv) > 1 and sys.argv[1] != "-" else sys.stdin.buffer
    out = sys.stdout.buffer
    buf = []
    for line in src:
        if not line.strip():
            continue
        r = lead(loads(line))
        if r is not None:
            buf.append(dumps(r))
            if len(buf) >= 4096:
                buf.append(b"")
                out.write(b"\n".join(buf))
                buf = []
    if buf:
        buf.append(b"")
        out.write(b"\n".join(buf))


if __name__ == "__main__":
    main()
