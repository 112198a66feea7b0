#!/usr/bin/env python3
"""API calls per 10,000 records (issue 15): how many requests `mapc sync` spends on each platform,
counted in the emulators' request logs (`/_sandbox/requests`), for the shipped jobs.

usage: bench/calls.py [--mapc PATH] [--records N] [--changed N] [--job NAME ...] [--json FILE] [--keep]

Each job runs three times against a fresh `mapc sandbox` (unthrottled: pacing does not change how
many calls are made, and 429s would add retries that measure the limiter, not the sync):

  first       the first sync of N source records (nothing in the store yet)
  unchanged   a second sync with nothing changed at the source
  changed     a third sync after --changed source records changed (through the emulator's API)

and prints, per platform and endpoint, the calls made and the calls per 10,000 source records. Run it
with an older mapc build (--mapc) for a "before" column; every run also checks that the destination
holds every record sent once (no duplicate keys) and that mapc accounted for every record.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# job -> (source platform, source object, destination platform, destination object, destination key field)
JOBS = {
    "contacts-to-leads": ("hubspot", "contact", "salesforce", "Lead", "HubSpot_Contact_Id__c"),
    "contacts-to-segment": ("hubspot", "contact", "segment", "identify", None),
    "sf-contacts-to-mailchimp": ("salesforce", "Contact", "mailchimp", "member", "email_address"),
}


def positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("'%s' is not a whole number" % text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number, got %d" % value)
    return value


def hubspot_contacts(n, out):
    """The demo's seed: the messy sample contacts cycled with fresh ids and unique emails, each
    modified a minute after the one before."""
    base = [json.loads(line) for line in open(os.path.join(ROOT, "samples", "hubspot", "contact.jsonl"), encoding="utf-8") if line.strip()]
    start = 1_709_251_200  # 2024-03-01
    for i in range(n):
        r = dict(base[i % len(base)])
        r["hs_object_id"] = str(100000 + i)
        email = r.get("email")
        if isinstance(email, str) and "@" in email and i >= len(base):
            local, _, domain = email.rpartition("@")
            r["email"] = "%s+%d@%s" % (local, i, domain)
        r["lastmodifieddate"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start + 60 * i))
        out.write(json.dumps(r, ensure_ascii=False) + "\n")


def salesforce_contacts(n, out):
    """Sample Salesforce contacts cycled with fresh ids and unique emails, a minute apart."""
    base = [json.loads(line) for line in open(os.path.join(ROOT, "samples", "salesforce", "Contact.jsonl"), encoding="utf-8") if line.strip()]
    start = 1_709_251_200
    for i in range(n):
        r = dict(base[i % len(base)])
        r["Id"] = "003BENCH%010d" % i
        email = r.get("Email")
        if isinstance(email, str) and "@" in email and i >= len(base):
            local, _, domain = email.rpartition("@")
            r["Email"] = "%s+%d@%s" % (local, i, domain)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime(start + 60 * i))
        r["SystemModstamp"] = stamp
        r["LastModifiedDate"] = stamp
        out.write(json.dumps(r, ensure_ascii=False) + "\n")


def make_project(work, job, n, mapc):
    for d in ("schemas", "ratelimits", "platforms"):
        if os.path.isdir(os.path.join(ROOT, d)):
            shutil.copytree(os.path.join(ROOT, d), os.path.join(work, d))
    os.makedirs(os.path.join(work, "samples", "mappings"))
    os.makedirs(os.path.join(work, "jobs"))
    shutil.copy(os.path.join(ROOT, "samples", "mappings", job + ".map"), os.path.join(work, "samples", "mappings"))
    shutil.copy(os.path.join(ROOT, "jobs", job + ".json"), os.path.join(work, "jobs"))
    source = JOBS[job][0]
    for platform in ("hubspot", "salesforce", "mailchimp"):
        os.makedirs(os.path.join(work, "seed", platform))
    # Accounts for the lookups of both Salesforce-bound and Salesforce-sourced jobs.
    shutil.copy(os.path.join(ROOT, "samples", "salesforce", "Account.jsonl"), os.path.join(work, "seed", "salesforce"))
    if source == "hubspot":
        with open(os.path.join(work, "seed", "hubspot", "contact.jsonl"), "w", encoding="utf-8") as out:
            hubspot_contacts(n, out)
    else:
        with open(os.path.join(work, "seed", "salesforce", "Contact.jsonl"), "w", encoding="utf-8") as out:
            salesforce_contacts(n, out)
    subprocess.run(
        [mapc, "approve", "samples/mappings/%s.map" % job, "--by", "bench", "--note", "calls benchmark"],
        cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def request(url, method="GET", body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as r:
        text = r.read()
        return json.loads(text) if text else None


class Sandbox:
    def __init__(self, mapc, work, platforms):
        args = [mapc, "sandbox", "--seed", "seed", "--rate-limits", "none"]
        for p in platforms:
            args += ["--platform", p]
        self.out = open(os.path.join(work, "sandbox.env"), "w+")
        self.err = open(os.path.join(work, "sandbox.log"), "w")
        self.proc = subprocess.Popen(args, cwd=work, stdout=self.out, stderr=self.err)
        self.env = {}
        deadline = time.time() + 120
        while time.time() < deadline:
            self.out.seek(0)
            text = self.out.read()
            if "# control" in text:
                for m in re.finditer(r"^export (\w+)=(.*)$", text, re.M):
                    self.env[m.group(1)] = m.group(2).strip("'\"")
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise SystemExit("the sandbox did not start; see %s" % os.path.join(work, "sandbox.log"))

    def url(self, platform):
        return self.env["MAPC_%s_URL" % platform.upper()]

    def token(self, platform):
        return self.env.get("MAPC_%s_TOKEN" % platform.upper(), "")

    def requests(self, platform):
        return request(self.url(platform) + "/_sandbox/requests")["requests"]

    def clear(self, platform):
        request(self.url(platform) + "/_sandbox/requests", method="DELETE")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def kind(platform, method, path):
    """What a request is, by platform and route."""
    if platform == "hubspot":
        if path.endswith("/search"):
            return "search"
        if "/batch/" in path:
            return "batch " + path.rsplit("/", 1)[-1]
        if path.startswith("/crm/v3/properties"):
            return "properties"
        if method == "GET" and path.startswith("/crm/v3/objects/"):
            return "list" if path.count("/") == 4 else "read one"
    if platform == "salesforce":
        if "/query" in path:
            return "query (page)" if re.search(r"/query/[^/]+$", path) else "query"
        if "/composite/sobjects/" in path:
            return "collections " + method.lower()
        if path.endswith("/describe"):
            return "describe"
    if platform == "mailchimp":
        if path.endswith("/members") and method == "GET":
            return "members list"
        if re.search(r"/members/[^/]+$", path):
            return "member " + method.lower()
        if re.search(r"/lists/[^/]+$", path) and method == "POST":
            return "batch subscribe"
    if platform == "segment" and path.endswith("/batch"):
        return "batch"
    return method + " " + path


def change(sandbox, job, n, count):
    """Changes `count` source records (every n/count-th) through the emulator's API."""
    source = JOBS[job][0]
    step = max(1, n // count)
    picked = [i for i in range(0, n, step)][:count]
    if source == "hubspot":
        headers = {"Authorization": "Bearer " + sandbox.token("hubspot")}
        for start in range(0, len(picked), 100):
            inputs = [{"id": str(100000 + i), "properties": {"jobtitle": "Changed %d" % i}} for i in picked[start:start + 100]]
            request(sandbox.url("hubspot") + "/crm/v3/objects/contacts/batch/update", "POST", {"inputs": inputs}, headers)
    else:
        headers = {"Authorization": "Bearer " + sandbox.token("salesforce")}
        for start in range(0, len(picked), 200):
            records = [{"attributes": {"type": "Contact"}, "Id": "003BENCH%010d" % i, "FirstName": "Changed%d" % i} for i in picked[start:start + 200]]
            request(
                sandbox.url("salesforce") + "/services/data/v59.0/composite/sobjects/Contact/Id", "PATCH",
                {"allOrNone": False, "records": records}, headers,
            )
    sandbox.clear(source)
    return len(picked)


def sync(mapc, work, sandbox, job):
    env = dict(os.environ)
    env.update(sandbox.env)
    env["MAPC_STORE"] = os.path.join(work, ".mapc", "calls.db")
    env["MAPC_RATE_LIMITS"] = "none"
    proc = subprocess.run([mapc, "sync", job, "--format", "json"], cwd=work, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit("mapc sync %s failed (exit %d)" % (job, proc.returncode))
    return json.loads(proc.stdout)


def measure(mapc, job, n, changed, keep):
    source, _, destination, dest_object, key = JOBS[job]
    work = tempfile.mkdtemp(prefix="mapc-calls-")
    try:
        make_project(work, job, n, mapc)
        sandbox = Sandbox(mapc, work, sorted({source, destination, "salesforce"}))
        results = []
        try:
            for run in ("first", "unchanged", "changed"):
                if run == "changed":
                    change(sandbox, job, n, changed)
                for p in {source, destination, "salesforce"}:
                    sandbox.clear(p)
                summary = sync(mapc, work, sandbox, job)
                calls = {}
                for p in sorted({source, destination, "salesforce"}):
                    for r in sandbox.requests(p):
                        if r["path"].startswith("/_sandbox"):
                            continue
                        k = (p, kind(p, r["method"], r["path"]))
                        calls[k] = calls.get(k, 0) + 1
                records = summary["records"]
                problems = []
                if key:
                    held = request(sandbox.url(destination) + "/_sandbox/records?object=%s&key=%s" % (dest_object, key))
                    if held["duplicates"]:
                        problems.append("%d duplicate keys at the destination" % len(held["duplicates"]))
                results.append({"run": run, "calls": calls, "records": records, "problems": problems})
        finally:
            sandbox.stop()
        return results
    finally:
        if keep:
            print("kept %s" % work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description="API calls per 10,000 records, counted in the emulators' request logs.")
    parser.add_argument("--mapc", default=os.path.join(ROOT, ".build", "release", "mapc"))
    parser.add_argument("--records", type=positive, default=10000)
    parser.add_argument("--changed", type=positive, default=100, help="source records changed before the third run")
    parser.add_argument("--job", action="append", choices=sorted(JOBS), help="jobs to measure (default: all)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects")
    args = parser.parse_args()
    args.mapc = os.path.abspath(args.mapc)
    if not os.access(args.mapc, os.X_OK):
        raise SystemExit("no mapc executable at %s (build it, or pass --mapc)" % args.mapc)
    out = {}
    failed = False
    print("mapc: %s; %d source records per job, %d changed before the third run" % (args.mapc, args.records, args.changed))
    for job in args.job or sorted(JOBS):
        results = measure(args.mapc, job, args.records, args.changed, args.keep)
        out[job] = results
        print("\n%s (%s -> %s)" % (job, JOBS[job][0], JOBS[job][2]))
        print("%-10s %-11s %-22s %8s %14s" % ("run", "platform", "endpoint", "calls", "per 10k recs"))
        for r in results:
            for (platform, endpoint), count in sorted(r["calls"].items()):
                print("%-10s %-11s %-22s %8d %14.1f" % (r["run"], platform, endpoint, count, count * 10000.0 / args.records))
            total = sum(r["calls"].values())
            print("%-10s %-11s %-22s %8d %14.1f   records: %s" % (r["run"], "all", "", total, total * 10000.0 / args.records, json.dumps(r["records"], sort_keys=True)))
            for p in r["problems"]:
                failed = True
                print("PROBLEM: %s" % p)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({j: [{**r, "calls": {"%s %s" % k: v for k, v in r["calls"].items()}} for r in rs] for j, rs in out.items()}, f, indent=2, sort_keys=True)
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
