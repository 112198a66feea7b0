#!/usr/bin/env python3
"""Writes N HubSpot contacts for the demo's sandbox, deterministically, by cycling through the messy
sample records with fresh ids and unique email addresses (invalid addresses stay invalid).

usage: demo_seed.py N samples/hubspot/contact.jsonl > seed/hubspot/contact.jsonl
"""
import json
import sys


def main():
    n = int(sys.argv[1])
    base = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8") if line.strip()]
    for i in range(n):
        r = dict(base[i % len(base)])
        r["hs_object_id"] = str(100000 + i)
        email = r.get("email")
        if isinstance(email, str) and "@" in email and i >= len(base):
            local, _, domain = email.rpartition("@")
            r["email"] = f"{local}+{i}@{domain}"
        sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
