#!/usr/bin/env python3
"""Sync benchmark (issue 7): HubSpot contacts -> Salesforce leads through `mapc sync`, against the
HubSpot and Salesforce emulators of `mapc sandbox`, end to end (fetch, map, validate, upload, and
the event store on disk).

usage: bench/sync.py [--mapc PATH] [--records N] [--throttled-records M] [--only unthrottled|throttled] [--keep]

unthrottled  the sandbox runs with --rate-limits none and mapc with MAPC_RATE_LIMITS=none: records/s
             end to end, and the CPU each process used.
throttled    both sides use the shipped registry (ratelimits/): the achieved records/s as a share of
             the registry's ceiling for this job, and how many requests the emulators refused with 429.

Every run also checks the result in the Salesforce emulator: the distinct keys the sync added
(those present before it, the seeded leads, excluded) equal mapc's own count of created leads, its
updates touch only keys that were there before, no key is duplicated, and fetched = sent + skipped +
rejected in mapc's own counts.
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

from run import count, machine

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JOB = "contacts-to-leads"


def seed_contacts(n, sample, out):
    """The demo's seed: the messy sample contacts, cycled, with fresh ids and unique emails."""
    subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "demo_seed.py"), str(n), sample], stdout=out, check=True
    )


def make_project(work, n, mapc):
    for d in ("schemas", "ratelimits", "platforms"):
        shutil.copytree(os.path.join(ROOT, d), os.path.join(work, d))
    os.makedirs(os.path.join(work, "samples", "mappings"))
    os.makedirs(os.path.join(work, "jobs"))
    os.makedirs(os.path.join(work, "seed", "hubspot"))
    os.makedirs(os.path.join(work, "seed", "salesforce"))
    shutil.copy(os.path.join(ROOT, "samples", "mappings", JOB + ".map"), os.path.join(work, "samples", "mappings"))
    shutil.copy(os.path.join(ROOT, "jobs", JOB + ".json"), os.path.join(work, "jobs"))
    for obj in ("Account", "Lead"):
        shutil.copy(os.path.join(ROOT, "samples", "salesforce", obj + ".jsonl"), os.path.join(work, "seed", "salesforce"))
    with open(os.path.join(work, "seed", "hubspot", "contact.jsonl"), "w") as out:
        seed_contacts(n, os.path.join(ROOT, "samples", "hubspot", "contact.jsonl"), out)
    subprocess.run(
        [mapc, "approve", "samples/mappings/%s.map" % JOB, "--by", "bench", "--note", "sync benchmark"],
        cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def cpu_seconds(pid):
    """User + system CPU seconds of a running process, from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def get_json(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read())


class Sandbox:
    def __init__(self, mapc, work, unthrottled):
        args = [mapc, "sandbox", "--platform", "hubspot", "--platform", "salesforce", "--seed", "seed"]
        if unthrottled:
            args += ["--rate-limits", "none"]
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
                    self.env[m.group(1)] = m.group(2)
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise SystemExit("the sandbox did not start; see %s" % os.path.join(work, "sandbox.log"))

    def url(self, platform):
        return self.env["MAPC_%s_URL" % platform.upper()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def ceiling(work, job):
    """Records/s the registry allows this job: the source's list endpoint pages of pageSize records,
    at its request budget; the destination's write endpoint batches, at its budget (None = no budget)."""
    with open(os.path.join(work, "ratelimits", "hubspot.json")) as f:
        hubspot = {e["name"]: e for e in json.load(f)["endpoints"]}
    with open(os.path.join(work, "ratelimits", "salesforce.json")) as f:
        salesforce = {e["name"]: e for e in json.load(f)["endpoints"]}
    fetch = hubspot["crm.objects.list"]
    page = min(job.get("pageSize", 100), fetch["batchSize"] or 10**9)
    fetch_rate = page * fetch["requests"]["count"] / fetch["requests"]["windowSeconds"]
    write = salesforce["composite.sobjects"]
    batch = min(job.get("batchSize", 200), write["batchSize"] or 10**9)
    write_rate = batch * write["requests"]["count"] / write["requests"]["windowSeconds"] if write["requests"] else None
    parts = [("HubSpot list: %d/page x %d requests per %g s" % (page, fetch["requests"]["count"], fetch["requests"]["windowSeconds"]), fetch_rate)]
    if write_rate:
        parts.append(("Salesforce composite: %d/batch" % batch, write_rate))
    else:
        parts.append(("Salesforce composite: no request-rate budget (daily %s, %s concurrent)" % (write["dailyQuota"], write["maxConcurrency"]), None))
    rate = min(r for _, r in parts if r is not None)
    return rate, parts


def run_once(mapc, work, n, unthrottled):
    sandbox = Sandbox(mapc, work, unthrottled)
    try:
        env = dict(os.environ)
        env.update(sandbox.env)
        env["MAPC_STORE"] = os.path.join(work, ".mapc", "bench-%s.db" % ("unthrottled" if unthrottled else "throttled"))
        if os.path.exists(env["MAPC_STORE"]):
            os.remove(env["MAPC_STORE"])
        if unthrottled:
            env["MAPC_RATE_LIMITS"] = "none"
        else:
            env.pop("MAPC_RATE_LIMITS", None)
        leads_url = sandbox.url("salesforce") + "/_sandbox/records?object=Lead&key=HubSpot_Contact_Id__c"
        seeded = keyed(get_json(leads_url))
        sandbox_cpu0 = cpu_seconds(sandbox.proc.pid)
        t0 = time.monotonic()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%e %U %S %M", mapc, "sync", JOB, "--format", "json"],
            cwd=work, env=env, capture_output=True, text=True,
        )
        wall = time.monotonic() - t0
        sandbox_cpu = cpu_seconds(sandbox.proc.pid) - sandbox_cpu0
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit("mapc sync failed (exit %d)" % proc.returncode)
        time_line = proc.stderr.strip().splitlines()[-1].split()
        _, user, system, rss_kb = time_line
        summary = json.loads(proc.stdout)
        leads = get_json(leads_url)
        after = keyed(leads)
        requests = get_json(sandbox.url("hubspot") + "/_sandbox/requests")["requests"] + get_json(
            sandbox.url("salesforce") + "/_sandbox/requests"
        )["requests"]
        refused = sum(1 for r in requests if r["status"] == 429)
        return {
            "wall": wall,
            "mapc_cpu": float(user) + float(system),
            "mapc_rss_mb": int(rss_kb) / 1024,
            "sandbox_cpu": sandbox_cpu,
            "summary": summary,
            "leads": leads["count"],
            "seeded_keys": len(seeded),
            "new_keys": len(after - seeded),
            "keys_after": len(after),
            "duplicates": len(leads["duplicates"]),
            "requests": len(requests),
            "refused": refused,
            "store_mb": os.path.getsize(env["MAPC_STORE"]) / 1e6,
        }
    finally:
        sandbox.stop()


def keyed(leads):
    """The distinct HubSpot keys of the emulator's leads (records without one are not the sync's)."""
    keys = set()
    for r in leads["records"]:
        key = (r.get("fields") or {}).get("HubSpot_Contact_Id__c")
        if key not in (None, ""):
            keys.add(str(key))
    return keys


def counts(summary):
    """Per-status record counts of the run (`records` in `mapc sync --format json`); fetched is their sum."""
    c = {k: summary["records"].get(k, 0) for k in ("created", "updated", "duplicate", "skipped", "rejected", "unchanged")}
    c["fetched"] = sum(summary["records"].values())
    return c


def check(result, n, seeded_leads):
    c = counts(result["summary"])
    sent = c["created"] + c["updated"] + c["duplicate"]
    problems = []
    if c["fetched"] != n:
        problems.append("fetched %d of %d contacts" % (c["fetched"], n))
    if c["fetched"] != sent + c["skipped"] + c["rejected"] + c["unchanged"]:
        problems.append("fetched != sent + skipped + rejected + unchanged: %s" % c)
    if result["duplicates"]:
        problems.append("%d duplicate keys in the Salesforce emulator" % result["duplicates"])
    # Distinct keys against mapc's own counts, the seeded leads excluded: every lead mapc says it
    # created is a key that was not there before, and nothing else appeared.
    if result["new_keys"] != c["created"]:
        problems.append(
            "the sync added %d distinct keys to the %d seeded; mapc says it created %d leads"
            % (result["new_keys"], seeded_leads, c["created"]))
    if result["keys_after"] != seeded_leads + c["created"]:
        problems.append("%d distinct keys after the sync, expected %d seeded + %d created" % (result["keys_after"], seeded_leads, c["created"]))
    if c["updated"] > seeded_leads:
        problems.append("mapc updated %d leads but only %d keys existed before" % (c["updated"], seeded_leads))
    return c, problems


def report(title, n, result, c, problems):
    rate = n / result["wall"]
    print("%s: %d contacts in %.2f s wall = %s records/s" % (title, n, result["wall"], format(int(rate), ",")))
    print(
        "  mapc sync: %.2f s CPU (%.0f%% of wall), peak RSS %.1f MB; event store %.1f MB"
        % (result["mapc_cpu"], 100 * result["mapc_cpu"] / result["wall"], result["mapc_rss_mb"], result["store_mb"])
    )
    print("  sandbox (HubSpot + Salesforce emulators): %.2f s CPU (%.0f%% of wall)" % (result["sandbox_cpu"], 100 * result["sandbox_cpu"] / result["wall"]))
    print(
        "  records: fetched %d, created %d, updated %d, skipped %d, rejected %d; %d requests, %d answered 429"
        % (c["fetched"], c["created"], c["updated"], c["skipped"], c["rejected"], result["requests"], result["refused"])
    )
    print("  check: %s" % (
        "ok (no duplicates, every record accounted for; %d new distinct keys = %d created, %d seeded leads excluded)"
        % (result["new_keys"], c["created"], result["seeded_keys"]) if not problems else "; ".join(problems)))
    return rate


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mapc", default=os.path.join(ROOT, ".build", "release", "mapc"))
    ap.add_argument("--records", type=count, default=100000, help="contacts for the unthrottled run (default 100,000)")
    ap.add_argument("--throttled-records", type=count, default=60000, help="contacts for the throttled run (default 60,000)")
    ap.add_argument("--only", choices=["unthrottled", "throttled"])
    ap.add_argument("--keep", action="store_true", help="keep the temporary project")
    args = ap.parse_args()
    mapc = os.path.abspath(args.mapc)
    if not os.access(mapc, os.X_OK):
        raise SystemExit("no mapc binary at %s (build it: swift build -c release --product mapc)" % mapc)
    m = machine()
    print("machine: %d CPUs (%s), %s memory, Linux %s; load average %s" % (m["nproc"], m["cpu"], m["memory"], m["kernel"], m["load"]))
    failed = False
    for mode in ("unthrottled", "throttled"):
        if args.only and args.only != mode:
            continue
        n = args.records if mode == "unthrottled" else args.throttled_records
        work = tempfile.mkdtemp(prefix="mapc-bench-sync-")
        try:
            make_project(work, n, mapc)
            with open(os.path.join(work, "jobs", JOB + ".json")) as f:
                job = json.load(f)
            result = run_once(mapc, work, n, unthrottled=(mode == "unthrottled"))
            c, problems = check(result, n, result["seeded_keys"])
            print()
            rate = report(mode, n, result, c, problems)
            if mode == "throttled":
                limit, parts = ceiling(work, job)
                print("  ceiling from the registry: %s records/s (%s)" % (format(int(limit), ","), "; ".join(p for p, _ in parts)))
                print("  achieved: %.1f%% of the ceiling, %d requests refused with 429" % (100 * rate / limit, result["refused"]))
            failed = failed or bool(problems)
        finally:
            if args.keep:
                print("  project kept in %s" % work)
            else:
                shutil.rmtree(work, ignore_errors=True)
    print("\nload average after: %s" % machine()["load"])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
