#!/usr/bin/env python3
"""Console benchmark (issue 17): the CPU `mapc serve` spends per dashboard page and per /metrics scrape
on a store with a long history.

1. Writes an event store the way mapc's sync engine leaves it, before the console projections existed
   (schema migrations 001-004 only): RUNS runs of the demo job `contacts-to-leads`, RECORDS records
   each (a sliding window over the keys, so most runs update and some create), every record with its
   `fetched`, `sent` and `result` record events, pages, batches (their payloads hold every record),
   checkpoints, run completions, and 1,292 rejected records in three groups. The last run is paused.
2. Opens it once with `mapc status` (the first open of this version backfills the projections) and
   reports that migration's CPU.
3. Starts `mapc serve` on the store (console listener only), signs in, and for each page reads the
   serve process's CPU time (utime + stime from /proc/PID/stat) around N sequential requests.

`--before PATH` also measures another mapc binary (e.g. a build of the code before the projections)
on the same store, without signing in (it had no sign-in) and on its single listener.

Standard library only. The store goes to bench/.data/ (gitignored).
"""
import argparse, hashlib, http.cookiejar, json, os, random, re, shutil, sqlite3, subprocess, sys, tempfile, time
import urllib.error, urllib.parse, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JOB = "contacts-to-leads"

SCHEMA = """
CREATE TABLE migrations(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL);
CREATE TABLE runs(id INTEGER PRIMARY KEY, job TEXT NOT NULL, started_at TEXT NOT NULL, phase TEXT NOT NULL,
  page INTEGER NOT NULL DEFAULT 0, batch INTEGER NOT NULL DEFAULT 0, reason TEXT, info TEXT NOT NULL,
  last_event_at TEXT NOT NULL, next_seq INTEGER NOT NULL DEFAULT 1);
CREATE INDEX runs_job ON runs(job, id);
CREATE TABLE events(run INTEGER NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, at TEXT NOT NULL,
  payload TEXT NOT NULL, PRIMARY KEY(run, seq));
CREATE TABLE record_events(id INTEGER PRIMARY KEY, job TEXT NOT NULL, run INTEGER NOT NULL, seq INTEGER NOT NULL,
  key TEXT NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, payload TEXT NOT NULL);
CREATE INDEX record_events_key ON record_events(job, key, id);
CREATE TABLE records(job TEXT NOT NULL, key TEXT NOT NULL, run INTEGER NOT NULL, status TEXT NOT NULL,
  content_hash TEXT, sent_hash TEXT, destination_id TEXT, error_code TEXT, error TEXT, field TEXT,
  mapping_version TEXT, payload TEXT, dest_key TEXT, PRIMARY KEY(job, key));
CREATE INDEX records_destination_id ON records(job, destination_id);
CREATE INDEX events_type ON events(run, type);
CREATE INDEX records_rejected ON records(job, key) WHERE status = 'rejected';
CREATE INDEX records_other_dest_key ON records(job, dest_key) WHERE dest_key <> key;
CREATE TABLE quota_usage(key TEXT PRIMARY KEY, hourly TEXT NOT NULL);
"""
MIGRATIONS = ["001_initial", "002_records_destination_id", "003_events_type", "004_partial_record_indexes"]
GROUPS = [("V0704", "Email", "Email is not a valid address", 412), ("V0712", "Phone", "Phone is not a valid phone number", 600),
          ("STRING_TOO_LONG", "Company", "Company: data value too large (max length=40)", 280)]


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


def generate(path, runs, records, page=100, batch=200):
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SCHEMA)
    db.executemany("INSERT INTO migrations VALUES(?, datetime('now'))", [(m,) for m in MIGRATIONS])
    rng = random.Random(17)
    version = hashlib.sha256(b"contacts-to-leads v1").hexdigest()
    t = 1_790_000_000.0
    state = {}  # key -> (run, status)
    rejected_keys = set()
    n_record_events = 0
    for r in range(1, runs + 1):
        start = (r - 1) * records // 2
        keys = ["%d" % (100000 + k) for k in range(start, start + records)]
        info = {"kind": "sync", "job": JOB, "mapping": "samples/mappings/contacts-to-leads.map", "mappingVersion": version,
                "source": "hubspot.contact", "destination": "salesforce.Lead", "mode": "upsert", "full": False, "by": "scheduler",
                "identity": "system", "batchSize": batch}
        last = r == runs
        db.execute("INSERT INTO runs(id, job, started_at, phase, info, last_event_at, next_seq) VALUES(?, ?, ?, 'created', ?, ?, 1)",
                   (r, JOB, iso(t), json.dumps(info, separators=(",", ":")), iso(t)))
        seq = [0]
        events, revents, upserts = [], [], []

        def event(kind, payload):
            seq[0] += 1
            events.append((r, seq[0], kind, iso(t), json.dumps(payload, separators=(",", ":"))))
            return seq[0]

        event("run_started", info)
        phase = "created"
        counts = {"fetched": 0, "sent": 0, "rejected": 0, "skipped": 0, "unchanged": 0, "created": 0, "updated": 0}
        pending = []
        batch_no = 0
        stop_at = len(keys) * 2 // 3 if last else None
        for p, i in enumerate(range(0, len(keys), page), start=1):
            if stop_at is not None and i >= stop_at:
                event("state", {"from": phase, "to": "paused", "page": p, "batch": batch_no,
                                "reason": "paused in uploading batch %d: HTTP 503 Service Unavailable, 3 attempts" % batch_no})
                phase = "paused"
                break
            for to in ("fetching", "mapping", "validating"):
                event("state", {"from": phase, "to": to, "page": p, "batch": batch_no})
                phase = to
                t += 0.02
            page_keys = keys[i:i + page]
            fetched_seq = event("page_fetched", {"page": p, "records": len(page_keys), "toSend": len(page_keys), "skipped": 0,
                                                 "rejected": 0, "unchanged": 0})
            for k in page_keys:
                values = {"Email": "person%s@example.com" % k, "LastName": "Person %s" % k, "Company": "Company %d" % (int(k) % 500),
                          "Phone": "+1 555 %07d" % int(k), "LeadSource": "Marketing Site", "Status": "Open - Not Contacted"}
                revents.append((JOB, r, fetched_seq, k, "fetched", iso(t), json.dumps({"hs_object_id": k, **values})))
                pending.append((k, values))
            counts["fetched"] += len(page_keys)
            while len(pending) >= batch or (pending and i + page >= len(keys)):
                chunk, pending = pending[:batch], pending[batch:]
                batch_no += 1
                event("state", {"from": phase, "to": "uploading", "page": p, "batch": batch_no})
                phase = "uploading"
                sending = event("batch_sending", {"batch": batch_no, "page": p, "records": [
                    {"id": k, "key": v["Email"], "hash": hashlib.md5(k.encode()).hexdigest(), "values": v} for k, v in chunk]})
                t += 0.15 + rng.random() * 0.1
                created = updated = 0
                for k, v in chunk:
                    revents.append((JOB, r, sending, k, "sent", iso(t), json.dumps({"batch": batch_no})))
                    before = state.get(k)
                    status = "updated" if before else "created"
                    created += status == "created"
                    updated += status == "updated"
                    state[k] = (r, status)
                    revents.append((JOB, r, sending + 1, k, "result", iso(t),
                                    json.dumps({"status": status, "destinationId": "00Q%012d" % int(k)})))
                    upserts.append((JOB, k, r, status, "h" + k, "h" + k, "00Q%012d" % int(k), None, None, None, version, None,
                                    v["Email"]))
                counts["created"] += created
                counts["updated"] += updated
                counts["sent"] += len(chunk)
                event("batch_acked", {"batch": batch_no, "created": created, "updated": updated, "duplicate": 0, "rejected": 0})
            event("checkpoint", {"page": p, "done": i + page >= len(keys)})
        if not last:
            event("state", {"from": phase, "to": "completed", "page": p, "batch": batch_no})
            phase = "completed"
            event("run_completed", {"counts": counts})
        n_record_events += len(revents)
        db.executemany("INSERT INTO events VALUES(?, ?, ?, ?, ?)", events)
        db.executemany("INSERT INTO record_events(job, run, seq, key, kind, at, payload) VALUES(?, ?, ?, ?, ?, ?, ?)", revents)
        db.executemany("INSERT OR REPLACE INTO records VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", upserts)
        db.execute("UPDATE runs SET phase = ?, next_seq = ?, last_event_at = ?, reason = ? WHERE id = ?",
                   (phase, seq[0] + 1, iso(t), "paused in uploading: HTTP 503" if phase == "paused" else None, r))
        t += 3600
    # Rejections: the last records seen, in three groups, rejected by the platform in the last run.
    keys = sorted(state)[-sum(g[3] for g in GROUPS):]
    i = 0
    for code, field, message, n in GROUPS:
        for k in keys[i:i + n]:
            db.execute("UPDATE records SET status = 'rejected', error_code = ?, field = ?, error = ?, sent_hash = NULL, "
                       "payload = ? WHERE job = ? AND key = ?",
                       (code, field, "%s (record %s)" % (message, k), json.dumps({"values": {field: "bad"}, "stage": "destination"}),
                        JOB, k))
            db.execute("INSERT INTO record_events(job, run, seq, key, kind, at, payload) VALUES(?, ?, 1, ?, 'result', ?, ?)",
                       (JOB, runs, k, iso(t), json.dumps({"status": "rejected", "code": code, "message": message, "field": field})))
            n_record_events += 1
        i += n
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return n_record_events


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


class Serve:
    def __init__(self, mapc, store, operators, legacy):
        self.legacy = legacy
        args = [mapc, "serve", "--store", store]
        args += ["--listen", "127.0.0.1:0"] if legacy else ["--listen", "none", "--admin-listen", "127.0.0.1:0", "--operators", operators]
        env = dict(os.environ, MAPC_RATE_LIMITS="none")
        self.p = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
        marker = "listening on" if legacy else "console on"
        self.base = None
        for line in self.p.stderr:
            if marker in line:
                self.base = re.search(r"(https?://[0-9.:\[\]]+)", line).group(1)
                break
        if not self.base:
            raise SystemExit("mapc serve did not start")
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def sign_in(self, name, password):
        form = self.opener.open(self.base + "/login").read().decode()
        token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        data = urllib.parse.urlencode({"csrf": token, "next": "/dashboard", "name": name, "password": password}).encode()
        page = self.opener.open(urllib.request.Request(self.base + "/login", data=data, headers={"Origin": self.base})).read()
        assert b"signed in as" in page, "sign-in failed"

    def get(self, path):
        with self.opener.open(self.base + path) as r:
            return r.status, r.read()

    def measure(self, path, n):
        for _ in range(3):
            self.get(path)
        before = cpu_ticks(self.p.pid)
        t0 = time.time()
        size = 0
        for _ in range(n):
            status, body = self.get(path)
            assert status == 200, (path, status)
            size = len(body)
        wall = time.time() - t0
        ticks = cpu_ticks(self.p.pid) - before
        return ticks * 1000.0 / os.sysconf("SC_CLK_TCK") / n, wall * 1000 / n, size

    def stop(self):
        self.p.terminate()
        self.p.wait()


def measure(label, mapc, store, operators, legacy, n):
    s = Serve(mapc, store, operators, legacy)
    try:
        if not legacy:
            s.sign_in("bench", "benchmark password")
        job = "/dashboard/jobs/" + JOB
        pages = [("jobs page", "/dashboard"), ("job page", job), ("metrics scrape", "/metrics")]
        if not legacy:
            pages.insert(2, ("job page, failures of one group, page 5", job + "?code=V0712&field=Phone&fpage=5&tpage=3"))
        rows = []
        for name, path in pages:
            cpu, wall, size = s.measure(path, n)
            rows.append((name, cpu, wall, size))
        print("\n%s (%s)" % (label, mapc))
        print("%-42s %14s %14s %12s" % ("request", "CPU ms/req", "wall ms/req", "bytes"))
        for name, cpu, wall, size in rows:
            print("%-42s %14.1f %14.1f %12s" % (name, cpu, wall, "{:,}".format(size)))
        return rows
    finally:
        s.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mapc", required=True)
    ap.add_argument("--before", help="another mapc binary to measure on the same store (no sign-in, one listener)")
    ap.add_argument("--debug-mapc", help="this version's debug build, measured too (to compare with a debug --before)")
    ap.add_argument("--runs", type=int, default=18)
    ap.add_argument("--records", type=int, default=10000)
    ap.add_argument("--requests", type=int, default=30)
    a = ap.parse_args()
    data = os.path.join(ROOT, "bench", ".data")
    os.makedirs(data, exist_ok=True)
    store = os.path.join(data, "console-%dx%d.db" % (a.runs, a.records))
    t0 = time.time()
    n = generate(store, a.runs, a.records)
    print("machine: %d CPUs, %s; load average %s" % (os.cpu_count(), " ".join(os.uname()[2:3]), " ".join("%.2f" % x for x in os.getloadavg())))
    print("store: %d runs x %d records, %s record events, %.1f MB (generated in %.0f s)"
          % (a.runs, a.records, "{:,}".format(n), os.path.getsize(store) / 1e6, time.time() - t0))
    tmp = tempfile.mkdtemp(prefix="mapc-console-bench-")
    operators = os.path.join(tmp, "operators.json")
    try:
        results = {}
        if a.before:
            results["before"] = measure("before", a.before, store, operators, True, a.requests)
        subprocess.run([a.mapc, "operators", "add", "bench", "--password-stdin", "--operators", operators], input="benchmark password\n",
                       text=True, check=True, capture_output=True)
        usage0 = os.times()
        subprocess.run([a.mapc, "status", "--store", store], cwd=ROOT, check=True, capture_output=True)
        usage1 = os.times()
        print("\nfirst open by this version (migration console_001_projections backfills the projections, then mapc status): %.2f s CPU"
              % ((usage1.children_user - usage0.children_user) + (usage1.children_system - usage0.children_system)))
        if a.debug_mapc:
            results["after (debug)"] = measure("after, debug build", a.debug_mapc, store, operators, False, a.requests)
        results["after"] = measure("after", a.mapc, store, operators, False, a.requests)
        worst = max(r[1] for r in results["after"])
        print("\nworst page or scrape after: %.1f ms CPU (goal: under 50 ms)" % worst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("load average after: %s" % " ".join("%.2f" % x for x in os.getloadavg()))


if __name__ == "__main__":
    main()
