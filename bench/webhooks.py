#!/usr/bin/env python3
"""Shared webhook inbox soak (issue 22): two `mapc serve` processes on loopback ports, both writing to
one PostgreSQL store, receive N signed webhook deliveries from the five platforms mapc serves, a
good share of them duplicates sent to both processes at the same time and retried, as a load
balancer in front of them and the platforms' retry policies would produce.

usage: bench/webhooks.py [--mapc PATH] [--deliveries N] [--seed S] [--senders K] [--json] [--keep]

Deliveries (HTTP requests) are signed as each platform signs them, for one public URL
(MAPC_WEBHOOK_PUBLIC_URL, the address of the balancer): HubSpot v3 (batches of 1-5 events; a
retry carries a new timestamp and signature and attemptNumber + 1), Salesforce Outbound Messages
(1-3 notifications, org id checked), Mailchimp (form body, secret in the URL; a retry is the same
bytes), Mandrill (X-Mandrill-Signature over URL and fields) and Segment (X-Signature). Each
delivery plan is one of: once to one process; to both processes at the same instant (the two
sends are released together by a barrier); retried to the same process after the first answer;
retried to the other process; both at once and then retried.

Checked from the store (psql on the inbox's tables): every distinct event is stored exactly once
(per platform, the stored event ids equal the ids sent), none is missing, the deliveries counted
on the stored events equal the events sent (duplicates included), nothing quarantined; and every
delivery was answered 2xx (Salesforce: an Ack), duplicates included. Exits non-zero otherwise.

PostgreSQL: MAPC_BENCH_PG_URL names a server (psql must be on PATH then); otherwise a throw-away
cluster is started (initdb in a temporary directory, loopback only) and removed afterwards.
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workers import Cluster, store_url  # noqa: E402

PUBLIC = "https://hooks.example.com"
HUBSPOT_SECRET = "soak-hubspot-client-secret"
MAILCHIMP_SECRET = "soak-mailchimp-url-key"
MANDRILL_KEY = "soak-mandrill-auth-key"
SEGMENT_SECRET = "soak-segment-shared-secret"
SALESFORCE_ORG = "00D000000000062EAA"
PLATFORMS = ["hubspot", "salesforce", "mailchimp", "mandrill", "segment"]
# A realistic mix: HubSpot and Salesforce dominate a CRM sync's webhook traffic.
PLATFORM_WEIGHTS = [40, 20, 15, 10, 15]
# once, both at once, retry to the same process, retry to the other, both at once then a retry
PLANS = [("once", 1, 45), ("both", 2, 25), ("retry-same", 2, 10), ("retry-other", 2, 10), ("both-retry", 3, 10)]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Event:
    """One platform event (or a batch of them, for HubSpot and Salesforce) and how to deliver it."""

    def __init__(self, platform, index, rng):
        self.platform = platform
        self.index = index
        self.attempt = 0
        if platform == "hubspot":
            self.items = []
            for k in range(rng.randint(1, 5)):
                event_id = index * 10 + k
                occurred = 1_764_000_000_000 + index * 7 + k
                self.items.append((event_id, occurred, rng.randint(1, 400)))
            self.ids = ["62515:2001:%d:%d" % (e, o) for e, o, _ in self.items]
        elif platform == "salesforce":
            self.notes = ["04l%012dAA%d" % (index, k) for k in range(rng.randint(1, 3))]
            self.ids = list(self.notes)
        elif platform == "mailchimp":
            self.body = urllib.parse.urlencode([
                ("type", rng.choice(["subscribe", "profile", "upemail", "unsubscribe"])),
                ("fired_at", "2026-12-05 %02d:%02d:%02d" % (index // 3600 % 24, index // 60 % 60, index % 60)),
                ("data[id]", "%010x" % index), ("data[list_id]", "a6b5da1054"),
                ("data[email]", "member%d@example.com" % index), ("data[email_type]", "html"),
                ("data[merges][EMAIL]", "member%d@example.com" % index), ("data[merges][FNAME]", "Member %d" % index),
            ])
            self.ids = [hashlib.sha256(self.body.encode()).hexdigest()[:32]]  # mapc keeps 128 bits of it
        elif platform == "mandrill":
            ts = 1_764_000_000 + index
            msg_id = "msg%029d" % index
            kind = rng.choice(["send", "open", "click", "deferral"])
            events = json.dumps([{
                "event": kind, "ts": ts, "_id": msg_id,
                "msg": {"ts": ts, "_id": msg_id, "email": "rcpt%d@example.com" % index, "subject": "Hello %d" % index,
                        "sender": "news@example.com", "state": "sent", "tags": [], "opens": [], "clicks": []},
            }], separators=(",", ":"))
            self.body = "mandrill_events=" + urllib.parse.quote(events, safe="")
            self.signature = base64.b64encode(
                hmac.new(MANDRILL_KEY.encode(), (PUBLIC + "/webhooks/mandrill" + "mandrill_events" + events).encode(),
                         hashlib.sha1).digest()).decode()
            self.ids = ["%s:%s:%d" % (msg_id, kind, ts)]
        else:
            message_id = str(uuid.UUID(int=rng.getrandbits(128)))
            self.body = json.dumps({
                "version": 1, "type": "identify", "userId": "user-%d" % index, "messageId": message_id,
                "timestamp": "2026-12-05T08:00:00.000Z", "traits": {"email": "user%d@example.com" % index, "plan": "pro"},
            }, separators=(",", ":"))
            self.ids = [message_id]

    def request(self):
        """(path, headers, body) for the next attempt: HubSpot signs every attempt afresh."""
        attempt = self.attempt
        self.attempt += 1
        if self.platform == "hubspot":
            body = json.dumps([{
                "eventId": e, "subscriptionId": 2001, "portalId": 62515, "appId": 54321, "occurredAt": o,
                "subscriptionType": "contact.propertyChange", "attemptNumber": attempt, "objectId": obj,
                "changeSource": "CRM_UI", "propertyName": "email", "propertyValue": "c%d@example.com" % e,
            } for e, o, obj in self.items], separators=(",", ":"))
            stamp = str(int(time.time() * 1000))
            path = "/webhooks/hubspot"
            signature = base64.b64encode(hmac.new(HUBSPOT_SECRET.encode(), ("POST" + PUBLIC + path + body + stamp).encode(),
                                                  hashlib.sha256).digest()).decode()
            return path, {"Content-Type": "application/json", "X-HubSpot-Signature-v3": signature,
                          "X-HubSpot-Request-Timestamp": stamp}, body
        if self.platform == "salesforce":
            notes = "".join(
                "<Notification><Id>%s</Id><sObject xsi:type=\"sf:Lead\" xmlns:sf=\"urn:sobject.enterprise.soap.sforce.com\">"
                "<sf:Id>00Q%012dAAA</sf:Id><sf:Email>lead%d@example.com</sf:Email>"
                "<sf:LastModifiedDate>2026-12-05T08:00:%02d.000Z</sf:LastModifiedDate><sf:LastName>Lead %d</sf:LastName>"
                "</sObject></Notification>" % (n, self.index, self.index, self.index % 60, self.index) for n in self.notes)
            body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\""
                    " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>"
                    "<notifications xmlns=\"http://soap.sforce.com/2005/09/outbound\"><OrganizationId>%s</OrganizationId>"
                    "<ActionId>04k000000000009AAA</ActionId><SessionId xsi:nil=\"true\"/>%s</notifications></soapenv:Body>"
                    "</soapenv:Envelope>" % (SALESFORCE_ORG, notes))
            return "/webhooks/salesforce", {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "\"\""}, body
        if self.platform == "mailchimp":
            return ("/webhooks/mailchimp?key=" + MAILCHIMP_SECRET, {"Content-Type": "application/x-www-form-urlencoded"},
                    self.body)
        if self.platform == "mandrill":
            return ("/webhooks/mandrill", {"Content-Type": "application/x-www-form-urlencoded",
                                           "X-Mandrill-Signature": self.signature}, self.body)
        signature = hmac.new(SEGMENT_SECRET.encode(), self.body.encode(), hashlib.sha1).hexdigest()
        return "/webhooks/segment", {"Content-Type": "application/json", "X-Signature": signature}, self.body


class Sender:
    """Keeps one kept-alive connection per (thread, process)."""

    def __init__(self, ports):
        self.ports = ports
        self.local = threading.local()
        self.lock = threading.Lock()
        self.statuses = {}
        self.failures = []

    def send(self, server, event, request):
        path, headers, body = request
        conns = getattr(self.local, "conns", None)
        if conns is None:
            conns = self.local.conns = {}
        for attempt in range(2):
            conn = conns.get(server)
            if conn is None:
                conn = conns[server] = http.client.HTTPConnection("127.0.0.1", self.ports[server], timeout=60)
            try:
                conn.request("POST", path, body=body.encode(), headers=headers)
                reply = conn.getresponse()
                text = reply.read().decode(errors="replace")
                if reply.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conns.pop(server, None)
                break
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                conns.pop(server, None)
                if attempt == 1:
                    with self.lock:
                        self.failures.append("%s to %s: %s" % (event.platform, "AB"[server], error))
                    return None
        ok = 200 <= reply.status < 300 and (event.platform != "salesforce" or "<Ack>true</Ack>" in text)
        with self.lock:
            key = reply.status if ok else "%d %s" % (reply.status, text[:200])
            self.statuses[key] = self.statuses.get(key, 0) + 1
        return reply.status

    def both(self, event):
        """The same delivery to both processes at the same instant."""
        request = event.request()
        gate = threading.Barrier(2)

        def other():
            gate.wait()
            self.send(1, event, request)

        t = threading.Thread(target=other)
        t.start()
        gate.wait()
        self.send(0, event, request)
        t.join()

    def run(self, plan, event, first):
        if plan == "once":
            self.send(first, event, event.request())
        elif plan == "both":
            self.both(event)
        elif plan == "retry-same":
            self.send(first, event, event.request())
            self.send(first, event, event.request())
        elif plan == "retry-other":
            self.send(first, event, event.request())
            self.send(1 - first, event, event.request())
        else:
            self.both(event)
            self.send(first, event, event.request())


def plan_deliveries(n, rng):
    """Events and plans whose deliveries add up to exactly n requests."""
    work = []
    total = 0
    index = 0
    names = [p[0] for p in PLANS]
    sizes = {p[0]: p[1] for p in PLANS}
    weights = [p[2] for p in PLANS]
    while total < n:
        plan = rng.choices(names, weights)[0]
        if total + sizes[plan] > n:
            plan = "once"
        platform = rng.choices(PLATFORMS, PLATFORM_WEIGHTS)[0]
        index += 1
        work.append((plan, Event(platform, index, rng), rng.randint(0, 1)))
        total += sizes[plan]
    return work, total


def psql(cluster, url, schema, sql):
    if cluster is not None:
        argv = [os.path.join(cluster.bin, "psql"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "mapc", "-d", "postgres"]
    else:
        argv = ["psql", url.split("?")[0]]
    proc = subprocess.run(argv + ["-X", "-q", "-At", "-F", "\t", "-c", "SET search_path TO %s; %s" % (schema, sql)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit("psql failed: " + proc.stderr[-2000:])
    return [line.split("\t") for line in proc.stdout.splitlines() if line]


def wait_healthy(port, process, log_path, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("mapc serve exited with %d: %s" % (process.returncode, open(log_path).read()[-2000:]))
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("mapc serve did not answer /healthz")


def start_serve(mapc, work, name, url, env):
    """One `mapc serve` on a free loopback port (another free port is tried if it was taken meanwhile)."""
    for _ in range(5):
        port = free_port()
        log_path = os.path.join(work, name + ".log")
        log = open(log_path, "w")
        proc = subprocess.Popen(
            [mapc, "serve", "--listen", "127.0.0.1:%d" % port, "--admin-listen", "none", "--store", url,
             "--jobs", os.path.join(work, "jobs"), "--connections", "512", "--connections-per-client", "512"],
            cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        try:
            wait_healthy(port, proc, log_path)
            return proc, port
        except SystemExit as error:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if "in use" not in str(error).lower():
                raise
    raise SystemExit("no free port for mapc serve")


def serve_counts(log_path):
    """(deliveries accepted, events stored, duplicates) from the line `mapc serve` logs when it stops."""
    try:
        text = open(log_path).read()
    except OSError:
        return None
    m = re.search(r"stopped; (\d+) deliveries accepted, (\d+) events stored, (\d+) duplicates", text)
    return tuple(int(x) for x in m.groups()) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mapc", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".build/debug/mapc"))
    ap.add_argument("--deliveries", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--senders", type=int, default=24, help="delivery plans carried out at once (default 24)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory (serve logs)")
    args = ap.parse_args()
    if not 1 <= args.deliveries <= 1_000_000 or not 1 <= args.senders <= 256:
        raise SystemExit("--deliveries must be 1…1,000,000 and --senders 1…256")
    args.mapc = os.path.abspath(args.mapc)
    rng = random.Random(args.seed)
    work_plan, total = plan_deliveries(args.deliveries, rng)

    work = tempfile.mkdtemp(prefix="mapc-webhooks-")
    os.makedirs(os.path.join(work, "jobs"))
    given = os.environ.get("MAPC_BENCH_PG_URL")
    cluster = None if given else Cluster()
    procs = []
    try:
        base = given or cluster.url
        url = store_url(base)
        schema = url.rsplit("%3D", 1)[1]
        env = dict(os.environ, MAPC_WEBHOOK_PUBLIC_URL=PUBLIC, MAPC_WEBHOOK_HUBSPOT_SECRET=HUBSPOT_SECRET,
                   MAPC_WEBHOOK_HUBSPOT_REQUIRE_V3="1", MAPC_WEBHOOK_SALESFORCE_ORG_ID=SALESFORCE_ORG,
                   MAPC_WEBHOOK_MAILCHIMP_SECRET=MAILCHIMP_SECRET, MAPC_WEBHOOK_MANDRILL_KEY=MANDRILL_KEY,
                   MAPC_WEBHOOK_SEGMENT_SECRET=SEGMENT_SECRET)
        for key in ("MAPC_CREDENTIALS", "MAPC_STORE_URL", "MAPC_STORE"):
            env.pop(key, None)
        # The first process creates the schema; the second then only checks it.
        a, port_a = start_serve(args.mapc, work, "serve-a", url, env)
        procs.append(a)
        b, port_b = start_serve(args.mapc, work, "serve-b", url, env)
        procs.append(b)
        sender = Sender([port_a, port_b])
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.senders) as pool:
            for f in [pool.submit(sender.run, plan, event, first) for plan, event, first in work_plan]:
                f.result()
        elapsed = time.monotonic() - started
        alive = [p.poll() is None for p in procs]
        rows = psql(cluster, base, schema,
                    "SELECT platform, event_id, deliveries FROM inbox_events")
        quarantined = int(psql(cluster, base, schema, "SELECT count(*) FROM inbox_quarantine")[0][0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if cluster is not None:
            cluster.stop()
        counted = [serve_counts(os.path.join(work, name + ".log")) for name in ("serve-a", "serve-b")]
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    sizes = {p[0]: p[1] for p in PLANS}
    problems = []
    expected = {}  # (platform, event id) -> deliveries that carried it
    plans = {}
    for plan, event, _ in work_plan:
        plans[plan] = plans.get(plan, 0) + 1
        for i in event.ids:
            key = (event.platform, i)
            if key in expected:
                problems.append("the plan sent one event id twice as different events: %s" % (key,))
            expected[key] = sizes[plan]
    stored = {}
    for platform, event_id, deliveries in rows:
        key = (platform, event_id)
        if key in stored:
            problems.append("stored twice: %s %s" % key)
        stored[key] = int(deliveries)
    missing = [k for k in expected if k not in stored]
    extra = [k for k in stored if k not in expected]
    miscounted = [k for k in expected if k in stored and stored[k] != expected[k]]
    if missing:
        problems.append("%d events not stored, e.g. %s" % (len(missing), missing[:3]))
    if extra:
        problems.append("%d stored events never sent, e.g. %s" % (len(extra), extra[:3]))
    if miscounted:
        k = miscounted[0]
        problems.append("%d events with a wrong delivery count, e.g. %s: %d, sent %d" % (len(miscounted), k, stored[k], expected[k]))
    if quarantined:
        problems.append("%d deliveries quarantined" % quarantined)
    answered = sum(v for k, v in sender.statuses.items() if isinstance(k, int))
    refused = {k: v for k, v in sender.statuses.items() if not isinstance(k, int)}
    if refused:
        problems.append("deliveries not acknowledged: %s" % refused)
    if sender.failures:
        problems.append("%d deliveries without an answer, e.g. %s" % (len(sender.failures), sender.failures[:3]))
    if answered != total:
        problems.append("%d of %d deliveries acknowledged" % (answered, total))
    if None in counted:
        problems.append("a mapc serve process did not log its counts when stopped")
    else:
        if sum(c[0] for c in counted) != total:
            problems.append("the processes accepted %d deliveries, %d were sent" % (sum(c[0] for c in counted), total))
        if sum(c[1] for c in counted) != len(expected):
            problems.append("the processes stored %d events between them, %d distinct were sent" % (sum(c[1] for c in counted), len(expected)))
        if min(c[1] for c in counted) == 0 or min(c[2] for c in counted) == 0:
            problems.append("one process stored no event or saw no duplicate: the run did not share the inbox")
    if not all(alive):
        problems.append("a mapc serve process exited during the run")

    per_platform = {}
    for plan, event, _ in work_plan:
        p = per_platform.setdefault(event.platform, {"deliveries": 0, "events": 0})
        p["deliveries"] += sizes[plan]
        p["events"] += len(event.ids)
    result = {
        "mapc": args.mapc, "seed": args.seed, "senders": args.senders,
        "deliveries": total, "acknowledged": answered, "seconds": round(elapsed, 2),
        "deliveries_per_s": round(total / elapsed, 1) if elapsed > 0 else None,
        "duplicate_deliveries": total - len(work_plan), "plans": plans, "per_platform": per_platform,
        "events_sent": len(expected), "events_stored": len(stored),
        "deliveries_counted_in_store": sum(stored.values()), "events_carried": sum(expected.values()),
        "per_process": [dict(zip(("accepted", "stored", "duplicates"), c)) if c else None for c in counted],
        "problems": problems,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print("2 x mapc serve (%s) on one PostgreSQL store; seed %d, %d senders" % (args.mapc, args.seed, args.senders))
        print("  %d deliveries (%d duplicates of another: both processes at once, retries) in %.1f s = %.0f deliveries/s"
              % (total, result["duplicate_deliveries"], elapsed, result["deliveries_per_s"] or 0))
        print("  plans: " + ", ".join("%s %d" % (k, v) for k, v in sorted(plans.items())))
        print("  per platform (deliveries/events): " + ", ".join(
            "%s %d/%d" % (k, v["deliveries"], v["events"]) for k, v in sorted(per_platform.items())))
        print("  acknowledged %d of %d; events sent %d, stored %d (each once: %s); deliveries counted in the store %d of %d"
              % (answered, total, len(expected), len(stored), "yes" if not missing and not extra else "NO",
                 result["deliveries_counted_in_store"], result["events_carried"]))
        if None not in counted:
            print("  per process (accepted/stored/duplicates): " + ", ".join("%s %d/%d/%d" % ((n,) + c) for n, c in zip("AB", counted)))
        print("  check: " + ("ok" if not problems else "FAILED\n    " + "\n    ".join(problems)))
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
