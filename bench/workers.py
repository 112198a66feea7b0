#!/usr/bin/env python3
"""Worker benchmark and soak (issue 22): J sync jobs of N HubSpot contacts each -> Salesforce leads,
against the sandbox emulators, run by 1, 2 and 3 `mapc worker` processes sharing a PostgreSQL store,
with one `mapc sync` process after another on SQLite as the reference measured in the same run.

usage: bench/workers.py [--mapc PATH] [--jobs J] [--records N] [--workers 1,2,3] [--concurrency C] [--kill-every S]
                        [--pause-every S] [--seed S] [--throttled] [--keep]

Every job reads the same N contacts (the emulator has one contact set) and upserts them by their
HubSpot id, so after each phase the Salesforce emulator must hold the seeded leads plus exactly N
new distinct keys, none duplicated, and every job's latest run must be completed with N records
fetched. With --kill-every S, a random worker is killed with SIGKILL every S seconds and restarted
(the soak of the issue: every job completes, nothing lost or created twice); the lease history
(`worker_leases`) then shows the takeovers. With --pause-every S, a random worker is stopped with
SIGSTOP every S seconds for longer than its lease and then continued: its job is taken over
meanwhile, and the writes it then tries are refused by the fence (counted from the workers' logs).

--concurrency C is each worker's `--concurrency` (jobs it runs at once, each under its own lease;
default 1, one job after another, as the measurements before `--concurrency` existed were made).

--throttled runs with the shipped rate-limit registry on both sides (no MAPC_RATE_LIMITS=none):
the workers share one HubSpot window, and the report gives the 429s the emulators answered.

PostgreSQL: MAPC_BENCH_PG_URL names a server; otherwise a throw-away cluster is started (initdb in a
temporary directory, as the postgres user when run as root, loopback only) and removed afterwards.
"""
import argparse
import datetime
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import count, machine  # noqa: E402
from sync import JOB, Sandbox, ceiling, get_json, keyed, make_project  # noqa: E402


class Cluster:
    """A throw-away PostgreSQL cluster on 127.0.0.1 (trust authentication, this machine only)."""

    def __init__(self):
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not versions:
            raise SystemExit("PostgreSQL is not installed (make deps installs the postgresql package)")
        self.bin = os.path.dirname(versions[-1])
        self.dir = tempfile.mkdtemp(prefix="mapc-bench-pg-")
        self.root = os.getuid() == 0
        if self.root:
            shutil.chown(self.dir, "postgres", "postgres")
        self.run("initdb", "-D", self.dir + "/data", "-U", "mapc", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        options = ("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s -c max_connections=200"
                   " -c shared_buffers=64MB" % (self.port, self.dir))
        self.run("pg_ctl", "-D", self.dir + "/data", "-o", options, "-l", self.dir + "/log", "-w", "start")
        self.url = "postgres://mapc@127.0.0.1:%d/postgres" % self.port

    def run(self, program, *args):
        argv = [os.path.join(self.bin, program)] + list(args)
        if self.root:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.dir)

    def stop(self):
        try:
            self.run("pg_ctl", "-D", self.dir + "/data", "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def store_url(base):
    """A fresh schema on the server for one phase."""
    schema = "bench_" + uuid.uuid4().hex[:8]
    return base + ("&" if "?" in base else "?") + "options=-csearch_path%3D" + schema


def add_jobs(work, jobs):
    with open(os.path.join(work, "jobs", JOB + ".json")) as f:
        spec = json.load(f)
    names = []
    for j in range(jobs):
        name = "%s-%d" % (JOB, j + 1)
        spec["name"] = name
        with open(os.path.join(work, "jobs", name + ".json"), "w") as f:
            json.dump(spec, f)
        names.append(name)
    return names


def mapc_json(mapc, args, work, env):
    proc = subprocess.run([mapc] + args + ["--format", "json"], cwd=work, env=env, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit("mapc %s failed (exit %d): %s" % (" ".join(args), proc.returncode, proc.stderr[-2000:]))
    return json.loads(proc.stdout)


def check(mapc, work, env, names, n, seeded, leads_url):
    problems = []
    leads = get_json(leads_url)
    after = keyed(leads)
    if len(leads["duplicates"]):
        problems.append("%d duplicate keys in the Salesforce emulator" % len(leads["duplicates"]))
    status = {r["job"]: r for r in mapc_json(mapc, ["status"], work, env)}
    # Every job read the same contacts and upserts them by key: each job delivered every lead it
    # could map (created or updated: which of the two a job says depends on which job got there
    # first, and a takeover that reconciles a batch in doubt counts what it finds as its own), and
    # together they added exactly those keys.
    for name in names:
        if name in status:
            delivered = sum(status[name]["records"].get(k, 0) for k in ("created", "updated", "duplicate"))
            if delivered != len(after - seeded):
                problems.append("%s delivered %d leads, the emulator gained %d keys" % (name, delivered, len(after - seeded)))
    for name in names:
        r = status.get(name)
        if r is None or r["state"] != "completed":
            problems.append("%s: %s" % (name, "no run" if r is None else r["state"] + " " + r.get("reason", "")))
            continue
        fetched = sum(r["records"].values())
        if fetched != n:
            problems.append("%s fetched %d of %d" % (name, fetched, n))
    return problems


def refused(sandbox):
    hubspot = get_json(sandbox.url("hubspot") + "/_sandbox/requests")["requests"]
    requests = hubspot + get_json(sandbox.url("salesforce") + "/_sandbox/requests")["requests"]
    return sum(1 for r in requests if r["status"] == 429), len(requests), hubspot


def arrival(r):
    """When the emulator received a logged request, in seconds (its log gives ISO 8601 with milliseconds)."""
    return datetime.datetime.fromisoformat(r["receivedAt"].replace("Z", "+00:00")).timestamp()


def reading(hubspot):
    """The interval in which the contacts were read: first to last HubSpot list request (GET
    /crm/v3/objects/<type>, answered), by the emulator's clock; and the HubSpot requests that arrived in it."""
    reads = [arrival(r) for r in hubspot
             if r["method"] == "GET" and r["path"].startswith("/crm/v3/objects/") and r["path"].count("/") == 4
             and r["status"] != 429]
    if len(reads) < 2:
        return None, 0, 0
    first, last = min(reads), max(reads)
    inside = sum(1 for r in hubspot if first <= arrival(r) <= last)
    return last - first, len(reads), inside


def occupancy(hubspot, window, start, end, step=0.01):
    """How full the account's sliding window was: at every `step` from `start` to `end`, the HubSpot
    requests (search has its own bucket) that arrived in the `window` seconds before; their mean and maximum."""
    times = sorted(arrival(r) for r in hubspot if not r["path"].endswith("/search"))
    if end <= start:
        return None, None
    total, samples, peak = 0, 0, 0
    lo = hi = 0
    t = start
    while t <= end:
        while hi < len(times) and times[hi] <= t:
            hi += 1
        while lo < hi and times[lo] <= t - window:
            lo += 1
        total += hi - lo
        peak = max(peak, hi - lo)
        samples += 1
        t += step
    return total / samples, peak


def reading_spans(hubspot):
    """When some job was reading: each job's list pages run from its first page (no `after`
    cursor) to its last (the largest `after`); the intervals, merged, by the emulator's clock."""
    pages = [r for r in hubspot if r["method"] == "GET" and r["path"].startswith("/crm/v3/objects/")
             and r["path"].count("/") == 4 and r["status"] != 429]
    def after(r):
        return next((int(q[6:]) for q in r["query"] if q.startswith("after=") and q[6:].isdigit()), None)
    firsts = sorted(arrival(r) for r in pages if after(r) is None)
    last_cursor = max((after(r) for r in pages if after(r) is not None), default=None)
    lasts = sorted(arrival(r) for r in pages if after(r) == last_cursor)
    if not firsts or len(firsts) != len(lasts):
        return []
    spans, open_jobs, start = [], 0, None
    for t, step in sorted([(t, 1) for t in firsts] + [(t, -1) for t in lasts], key=lambda e: (e[0], -e[1])):
        if step == 1 and open_jobs == 0:
            start = t
        open_jobs += step
        if open_jobs == 0:
            spans.append((start, t))
    return spans


def occupancy_in(hubspot, window, spans, skip, step=0.01):
    """`occupancy`, sampled only inside `spans` and from `skip` on: the mean and the seconds sampled."""
    total = samples = 0
    for start, end in spans:
        start = max(start, skip)
        if end > start:
            mean, _ = occupancy(hubspot, window, start, end, step)
            n = int((end - start) / step) + 1
            total += mean * n
            samples += n
    return (total / samples, samples * step) if samples else (None, 0)


def cycles(hubspot, count, window):
    """How long each slot of the account window took to come round: for the requests (search has its
    own bucket) sorted by arrival, a[i + count] - a[i], from one window after the first request on
    (the fresh window's burst left out). A limiter that keeps the window full gives about the window
    plus its margin; longer cycles are time the window sat with a free slot (the limiter waiting on
    an answer, a store round trip, or no worker ready to read)."""
    times = sorted(arrival(r) for r in hubspot if not r["path"].endswith("/search"))
    if not times:
        return None
    start = times[0] + window
    gaps = sorted(times[i + count] - times[i] for i in range(len(times) - count) if times[i] >= start)
    if not gaps:
        return None
    pick = lambda q: gaps[min(len(gaps) - 1, int(q * len(gaps)))]
    return {"n": len(gaps), "mean": sum(gaps) / len(gaps), "p10": pick(0.1), "p50": pick(0.5), "p90": pick(0.9),
            "p99": pick(0.99), "max": gaps[-1]}


def phase_sqlite(mapc, work, base_env, names, n, sandbox):
    env = dict(base_env)
    os.makedirs(os.path.join(work, ".mapc"), exist_ok=True)
    env["MAPC_STORE"] = os.path.join(work, ".mapc", "bench-%s.db" % uuid.uuid4().hex[:8])
    env.pop("MAPC_STORE_URL", None)
    t0 = time.monotonic()
    for name in names:
        proc = subprocess.run([mapc, "sync", name], cwd=work, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit("mapc sync %s failed: %s" % (name, proc.stderr[-2000:]))
    return time.monotonic() - t0, env, {}


def phase_workers(mapc, work, base_env, names, k, url, kill_every, rng, logs, pause_every=0, concurrency=1):
    env = dict(base_env)
    env["MAPC_STORE_URL"] = url
    env.pop("MAPC_STORE", None)
    subprocess.run([mapc, "worker", "enqueue"] + names, cwd=work, env=env, check=True, stdout=subprocess.DEVNULL)
    lease = "10" if kill_every or pause_every else "30"

    def start(i, generation):
        log = open(os.path.join(logs, "worker-%d-%d.log" % (i, generation)), "w")
        return subprocess.Popen([mapc, "worker", "--name", "w%d.%d" % (i, generation), "--lease-seconds", lease,
                                 "--concurrency", str(concurrency), "--until-empty"],
                                cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=log)

    t0 = time.monotonic()
    procs = {i: start(i, 0) for i in range(k)}
    generation = {i: 0 for i in range(k)}
    kills = 0
    pauses = 0
    paused = {}  # worker index -> when to wake it (SIGCONT)
    next_kill = time.monotonic() + kill_every if kill_every else None
    next_pause = time.monotonic() + pause_every if pause_every else None
    while any(p.poll() is None for p in procs.values()):
        time.sleep(0.2)
        now = time.monotonic()
        for i, wake in list(paused.items()):
            if now >= wake:
                procs[i].send_signal(signal.SIGCONT)
                del paused[i]
        if next_pause and now >= next_pause:
            running = [i for i, p in procs.items() if p.poll() is None and i not in paused]
            if running:
                i = rng.choice(running)
                procs[i].send_signal(signal.SIGSTOP)
                # Past its lease (10 s): another worker takes the job over meanwhile.
                paused[i] = now + 13
                pauses += 1
            next_pause = now + pause_every
        if next_kill and time.monotonic() >= next_kill:
            alive = [i for i, p in procs.items() if p.poll() is None and i not in paused]
            if alive:
                i = rng.choice(alive)
                procs[i].send_signal(signal.SIGKILL)
                procs[i].wait()
                kills += 1
                generation[i] += 1
                procs[i] = start(i, generation[i])
            next_kill = time.monotonic() + kill_every
    wall = time.monotonic() - t0
    failed = [i for i, p in procs.items() if p.returncode != 0]
    if failed:
        raise SystemExit("workers %s exited non-zero; logs in %s" % (failed, logs))
    return wall, env, {"kills": kills, "pauses": pauses}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mapc", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".build", "release", "mapc"))
    ap.add_argument("--jobs", type=int, default=6, help="sync jobs per phase (default 6)")
    ap.add_argument("--records", type=count, default=2000, help="contacts each job reads (default 2,000)")
    ap.add_argument("--workers", default="1,2,3", help="worker counts to measure (default 1,2,3)")
    ap.add_argument("--concurrency", type=int, default=1,
                    help="jobs each worker runs at once (mapc worker --concurrency; default 1)")
    ap.add_argument("--kill-every", type=float, default=0, help="SIGKILL a random worker every S seconds (soak)")
    ap.add_argument("--pause-every", type=float, default=0,
                    help="SIGSTOP a random worker every S seconds for 13 s, past its 10 s lease, then SIGCONT it")
    ap.add_argument("--seed", type=int, default=1, help="seed of the kill plan")
    ap.add_argument("--throttled", action="store_true", help="the shipped rate-limit registry on both sides")
    ap.add_argument("--skip-sqlite", action="store_true", help="no SQLite reference phase")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--dump-log", help="write the HubSpot emulator's request log of the last throttled phase to this file")
    args = ap.parse_args()
    mapc = os.path.abspath(args.mapc)
    if not os.access(mapc, os.X_OK):
        raise SystemExit("no mapc binary at %s (build it: swift build -c release --product mapc)" % mapc)
    m = machine()
    print("machine: %d CPUs (%s), %s memory, Linux %s; load average %s" % (m["nproc"], m["cpu"], m["memory"], m["kernel"], m["load"]))
    print("%d jobs x %s contacts, %s, %d job%s at once per worker%s" % (args.jobs, format(args.records, ","),
          "throttled by the registry" if args.throttled else "unthrottled", args.concurrency, "" if args.concurrency == 1 else "s",
          ", a worker killed every %g s (seed %d)" % (args.kill_every, args.seed) if args.kill_every else ""))
    cluster = None
    base_url = os.environ.get("MAPC_BENCH_PG_URL")
    if not base_url:
        cluster = Cluster()
        base_url = cluster.url
    rng = random.Random(args.seed)
    failed = False
    work = tempfile.mkdtemp(prefix="mapc-bench-workers-")
    try:
        make_project(work, args.records, mapc)
        names = add_jobs(work, args.jobs)
        phases = ([] if args.skip_sqlite else [("sqlite", 1)]) + [("postgres", int(k)) for k in args.workers.split(",")]
        reference = None
        for kind, k in phases:
            sandbox = Sandbox(mapc, work, unthrottled=not args.throttled)
            try:
                env = dict(os.environ)
                env.update(sandbox.env)
                if args.throttled:
                    env.pop("MAPC_RATE_LIMITS", None)
                else:
                    env["MAPC_RATE_LIMITS"] = "none"
                leads_url = sandbox.url("salesforce") + "/_sandbox/records?object=Lead&key=HubSpot_Contact_Id__c"
                seeded = keyed(get_json(leads_url))
                logs = os.path.join(work, "logs-%s-%d" % (kind, k))
                os.makedirs(logs)
                if kind == "sqlite":
                    wall, env, extra = phase_sqlite(mapc, work, env, names, args.records, sandbox)
                    title = "SQLite, one mapc sync after another"
                else:
                    wall, env, extra = phase_workers(
                        mapc, work, env, names, k, store_url(base_url), args.kill_every, rng, logs, args.pause_every,
                        args.concurrency)
                    title = "PostgreSQL, %d worker%s" % (k, "" if k == 1 else "s")
                problems = check(mapc, work, env, names, args.records, seeded, leads_url)
                answered_429, requests, hubspot_log = refused(sandbox)
                hubspot_requests = len(hubspot_log)
                jobs_s = args.jobs / wall
                records_s = args.jobs * args.records / wall
                if reference is None:
                    reference = records_s
                print("\n%s: %d jobs in %.1f s = %.2f jobs/s, %s records/s (%.2fx the first phase)"
                      % (title, args.jobs, wall, jobs_s, format(int(records_s), ","), records_s / reference))
                if kind == "postgres":
                    queue = mapc_json(mapc, ["worker", "list"], work, env)
                    leases = sum(e["lease"] for e in queue)
                    refusals = 0
                    for path in glob.glob(os.path.join(logs, "*.log")):
                        with open(path) as f:
                            refusals += sum(1 for line in f if "write refused" in line or "lost the lease" in line)
                    print("  %d leases for %d jobs (%d taken over after a worker stopped renewing); %d writes refused by the fence"
                          % (leases, len(queue), leases - len(queue), refusals))
                if extra.get("kills") is not None and args.kill_every:
                    print("  %d workers killed with SIGKILL and restarted" % extra["kills"])
                if extra.get("pauses") is not None and args.pause_every:
                    print("  %d workers paused with SIGSTOP for 13 s (lease 10 s), then continued" % extra["pauses"])
                print("  %d requests to the emulators, %d answered 429" % (requests, answered_429))
                if args.throttled:
                    with open(os.path.join(work, "jobs", names[0] + ".json")) as f:
                        limit, parts = ceiling(work, json.load(f))
                    print("  ceiling from the registry for the account: %s records/s (%s); achieved %.1f%% of it"
                          % (format(int(limit), ","), "; ".join(p for p, _ in parts), 100 * records_s / limit))
                    with open(os.path.join(work, "ratelimits", "hubspot.json")) as f:
                        budget = next(e for e in json.load(f)["endpoints"] if e["name"] == "crm.objects.list")["requests"]
                    per_second = budget["count"] / budget["windowSeconds"]
                    print("  HubSpot requests (one account window, every worker): %d in %.1f s = %.2f/s of %.2f/s allowed (%.1f%%)"
                          % (hubspot_requests, wall, hubspot_requests / wall, per_second, 100 * hubspot_requests / wall / per_second))
                    span, pages, inside = reading(hubspot_log)
                    if span:
                        # The whole wall time includes start-up and the last jobs' tails (bulk upload,
                        # polling), when nothing is read: the ceiling binds only while reads are made.
                        # A fresh window also allows one burst of `count` at the start, so the sustained
                        # rate leaves it out.
                        burst = budget["count"]
                        print("  while reading (first to last HubSpot list page, emulator clock): %.1f s, %d pages ="
                              " %s records/s = %.1f%% of the ceiling; %d HubSpot requests = %.2f/s (%.1f%% of %.2f/s);"
                              " without the first window's burst of %d: %.2f/s (%.1f%%)"
                              % (span, pages, format(int(args.jobs * args.records / span), ","),
                                 100 * args.jobs * args.records / span / limit, inside, inside / span,
                                 100 * inside / span / per_second, per_second, burst,
                                 max(0, inside - burst) / span, 100 * max(0, inside - burst) / span / per_second))
                        # The direct measure of how much of the ceiling was used: the server's trailing
                        # window, sampled every 10 ms from one window after the first read to the last.
                        reads = [arrival(r) for r in hubspot_log if r["method"] == "GET" and r["path"].count("/") == 4
                                 and r["path"].startswith("/crm/v3/objects/") and r["status"] != 429]
                        mean, peak = occupancy(hubspot_log, budget["windowSeconds"], min(reads) + budget["windowSeconds"], max(reads))
                        if mean is not None:
                            print("  the account's %g s window while reading (after its first %g s): held %.1f requests on average"
                                  " = %.1f%% of its %d, at most %d"
                                  % (budget["windowSeconds"], budget["windowSeconds"], mean, 100 * mean / burst, burst, peak))
                        spans = reading_spans(hubspot_log)
                        busy, seconds = occupancy_in(hubspot_log, budget["windowSeconds"], spans, min(reads) + budget["windowSeconds"])
                        if busy is not None:
                            # Between one job's last page and the next job's first a worker writes
                            # (bulk upload, polling) and reads nothing; when every worker is there
                            # at once, nobody asks for the window's free slots.
                            print("  ... only while some job was reading (%d stretch%s, %.1f s sampled): held %.1f = %.1f%% of %d"
                                  % (len(spans), "" if len(spans) == 1 else "es", seconds, busy, 100 * busy / burst, burst))
                        c = cycles(hubspot_log, burst, budget["windowSeconds"])
                        if c:
                            print("  a window slot came round (request i to request i+%d, emulator clock) in %.3f s on average,"
                                  " p10 %.3f, median %.3f, p90 %.3f, p99 %.3f, max %.3f (%d slots)"
                                  % (burst, c["mean"], c["p10"], c["p50"], c["p90"], c["p99"], c["max"], c["n"]))
                        if args.dump_log:
                            with open(args.dump_log, "w") as f:
                                json.dump(hubspot_log, f)
                print("  check: %s" % ("ok (every job completed with %s fetched and delivered every lead it mapped; the emulator"
                                       " gained exactly those keys, none created twice)" % format(args.records, ",")
                                       if not problems else "; ".join(problems)))
                failed = failed or bool(problems)
            finally:
                sandbox.stop()
    finally:
        if args.keep:
            print("project kept in %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
        if cluster:
            cluster.stop()
    print("\nload average after: %s" % machine()["load"])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
