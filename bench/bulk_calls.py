#!/usr/bin/env python3
"""API calls per 100,000 records through REST batches and through the bulk APIs (issue 20):
`mapc sync --write-path rest` against `mapc sync --write-path bulk`, each the first sync of N
source records into a fresh `mapc sandbox`, counted in the emulators' request logs.

usage: bench/bulk_calls.py [--mapc PATH] [--records N] [--job NAME ...] [--json FILE] [--keep]

Jobs: contacts-to-leads (HubSpot -> Salesforce Leads: sObject Collections vs Bulk API 2.0) and
sf-contacts-to-mailchimp (Salesforce Contacts -> Mailchimp members: batch subscribe vs batch
operations). The copied job files poll bulk jobs every 0.05 s at most: the emulators process one
internal batch (10,000 records) per status request, so the wait changes the wall time, not the count.
Every run checks that the destination holds each key once and that mapc accounted for every record.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import calls  # noqa: E402  (the request-counting machinery of bench/calls.py)

ROOT = calls.ROOT
JOBS = {job: calls.JOBS[job] for job in ("contacts-to-leads", "sf-contacts-to-mailchimp")}


def kind(platform, method, path):
    if platform == "salesforce" and "/jobs/ingest" in path:
        if method == "POST":
            return "bulk create job"
        if method == "PUT":
            return "bulk upload CSV"
        if method == "PATCH":
            return "bulk close job"
        if re.search(r"/jobs/ingest/[^/]+/?$", path):
            return "bulk job status"
        return "bulk results"
    if platform == "salesforce" and "/jobs/query" in path:
        if method == "POST":
            return "bulk query job"
        return "bulk query results" if path.endswith("/results") else "bulk query status"
    if platform == "mailchimp" and "/batches" in path:
        if method == "POST":
            return "batch submit"
        return "batch status" if re.search(r"/batches/[^/]+$", path) else "batch list"
    return calls.kind(platform, method, path)


def measure(mapc, job, n, path, keep):
    source, _, destination, dest_object, key = JOBS[job]
    work = tempfile.mkdtemp(prefix="mapc-bulk-calls-")
    try:
        calls.make_project(work, job, n, mapc)
        job_file = os.path.join(work, "jobs", job + ".json")
        spec = json.load(open(job_file))
        spec["bulk"] = {"pollSeconds": 0.05}
        json.dump(spec, open(job_file, "w"))
        platforms = sorted({source, destination, "salesforce"})
        sandbox = calls.Sandbox(mapc, work, platforms)
        try:
            for p in platforms:
                sandbox.clear(p)
            env = dict(os.environ)
            env.update(sandbox.env)
            env["MAPC_STORE"] = os.path.join(work, ".mapc", "calls.db")
            env["MAPC_RATE_LIMITS"] = "none"
            started = time.time()
            proc = subprocess.run(
                [mapc, "sync", job, "--write-path", path, "--format", "json"], cwd=work, env=env, capture_output=True, text=True)
            seconds = time.time() - started
            if proc.returncode != 0:
                sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-2000:])
                raise SystemExit("mapc sync %s --write-path %s failed (exit %d)" % (job, path, proc.returncode))
            summary = json.loads(proc.stdout)
            counted = {}
            for p in platforms:
                for r in sandbox.requests(p):
                    if r["path"].startswith("/_sandbox"):
                        continue
                    k = (p, kind(p, r["method"], r["path"]))
                    counted[k] = counted.get(k, 0) + 1
            problems = []
            if key:
                held = calls.request(sandbox.url(destination) + "/_sandbox/records?object=%s&key=%s" % (dest_object, key))
                if held["duplicates"]:
                    problems.append("%d duplicate keys at the destination" % len(held["duplicates"]))
            records = summary["records"]
            if sum(records.values()) != n:
                problems.append("mapc accounted for %d of %d records" % (sum(records.values()), n))
            return {"path": path, "calls": counted, "records": records, "problems": problems, "seconds": seconds}
        finally:
            sandbox.stop()
    finally:
        if keep:
            print("kept %s" % work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description="API calls per 100,000 records, REST batches vs bulk APIs.")
    parser.add_argument("--mapc", default=os.path.join(ROOT, ".build", "release", "mapc"))
    parser.add_argument("--records", type=calls.positive, default=100000)
    parser.add_argument("--job", action="append", choices=sorted(JOBS), help="jobs to measure (default: both)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects")
    args = parser.parse_args()
    args.mapc = os.path.abspath(args.mapc)
    if not os.access(args.mapc, os.X_OK):
        raise SystemExit("no mapc executable at %s (build it, or pass --mapc)" % args.mapc)
    out = {}
    failed = False
    print("mapc: %s; %d source records per job, first sync, REST then bulk" % (args.mapc, args.records))
    for job in args.job or sorted(JOBS):
        destination = JOBS[job][2]
        print("\n%s (%s -> %s)" % (job, JOBS[job][0], destination))
        print("%-5s %-11s %-22s %8s %15s" % ("path", "platform", "endpoint", "calls", "per 100k recs"))
        totals = {}
        for path in ("rest", "bulk"):
            r = measure(args.mapc, job, args.records, path, args.keep)
            out.setdefault(job, []).append({**r, "calls": {"%s %s" % k: v for k, v in r["calls"].items()}})
            for (platform, endpoint), count in sorted(r["calls"].items()):
                print("%-5s %-11s %-22s %8d %15.1f" % (path, platform, endpoint, count, count * 100000.0 / args.records))
            dest = sum(v for (p, _), v in r["calls"].items() if p == destination)
            writes = sum(v for (p, e), v in r["calls"].items() if p == destination and e not in ("query", "query (page)", "describe"))
            totals[path] = writes
            print("%-5s %-11s %-22s %8d %15.1f" % (path, destination, "(writing)", writes, writes * 100000.0 / args.records))
            print("%-5s %-11s %-22s %8d %15.1f   %.0f s; records: %s" % (
                path, destination, "(all API calls)", dest, dest * 100000.0 / args.records, r["seconds"], json.dumps(r["records"], sort_keys=True)))
            for p in r["problems"]:
                failed = True
                print("PROBLEM: %s" % p)
        if totals.get("bulk"):
            print("%s calls to write, REST / bulk: %.1f x" % (destination, totals["rest"] / float(totals["bulk"])))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2, sort_keys=True)
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
