#!/usr/bin/env python3
"""Slowloris benchmark (issue 14): legitimate signed webhook deliveries to `mapc serve` while hostile
connections trickle their request heads (or bodies) a byte at a time.

1. Starts `mapc serve` on a fresh store with a HubSpot webhook secret (webhook listener only).
2. Reference: signed HubSpot v3 deliveries at RATE per second for REFERENCE seconds, nothing else.
3. Attack: ATTACKERS connections from ATTACK_SOURCE (another loopback address, as a second client
   would be) each send a request line and then one byte every TRICKLE seconds, two in three in the
   head and one in three in the body (a head announcing a 1 MB body); a connection the server closes
   is opened again, so the pressure stays at ATTACKERS for SECONDS. The same deliveries as in the
   reference go on meanwhile, from 127.0.0.1.
4. Prints, for both phases: deliveries sent, acknowledged (200), answered 503 (busy, with
   Retry-After), failed without a reply (reset, closed, timed out after 30 s), and the latency of the
   acknowledged ones (p50, p99, max); for the attack: how the server ended the hostile connections
   (408 reply, 503 reply, closed without a reply) and how long they stayed open. `--json` prints one
   JSON object instead.

A delivery counts as acknowledged only with status 200; each goes on a new connection, as the
platforms' senders do. Standard library only.
"""
import argparse, base64, hashlib, hmac, json, os, random, selectors, shutil, signal, socket, subprocess, sys
import tempfile, threading, time, http.client

SECRET = "bench-hubspot-client-secret"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


class Deliveries:
    """Signed HubSpot deliveries at a fixed rate, each on a new connection."""

    def __init__(self, port, rate, first_event):
        self.port, self.rate, self.event = port, rate, first_event
        self.lock = threading.Lock()
        self.results = []  # (outcome, seconds)

    def one(self, event_id):
        url = f"http://127.0.0.1:{self.port}/webhooks/hubspot"
        now_ms = int(time.time() * 1000)
        body = json.dumps([{"eventId": event_id, "subscriptionId": 2001, "portalId": 62515, "appId": 54321,
                            "occurredAt": now_ms, "subscriptionType": "contact.propertyChange", "attemptNumber": 0,
                            "objectId": 1000 + event_id, "changeSource": "CRM_UI", "propertyName": "email",
                            "propertyValue": f"user{event_id}@example.com"}], separators=(",", ":"))
        stamp = str(now_ms)
        signature = base64.b64encode(hmac.new(SECRET.encode(), ("POST" + url + body + stamp).encode(), hashlib.sha256).digest()).decode()
        headers = {"Content-Type": "application/json", "X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": stamp}
        started = time.monotonic()
        outcome = "no reply"
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            connection.request("POST", "/webhooks/hubspot", body=body, headers=headers)
            reply = connection.getresponse()
            reply.read()
            outcome = {200: "acknowledged", 503: "busy (503)"}.get(reply.status, f"status {reply.status}")
            connection.close()
        except (OSError, http.client.HTTPException):
            outcome = "no reply"
        elapsed = time.monotonic() - started
        with self.lock:
            self.results.append((outcome, elapsed))

    def run(self, seconds):
        threads = []
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < seconds:
            due = start + n / self.rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self.event += 1
            t = threading.Thread(target=self.one, args=(self.event,), daemon=True)
            t.start()
            threads.append(t)
            n += 1
        for t in threads:
            t.join()
        return self.results

    @staticmethod
    def summary(results):
        acked = [s for o, s in results if o == "acknowledged"]
        return {
            "sent": len(results),
            "acknowledged": len(acked),
            "busy_503": sum(1 for o, _ in results if o == "busy (503)"),
            "no_reply": sum(1 for o, _ in results if o == "no reply"),
            "other": sum(1 for o, _ in results if o not in ("acknowledged", "busy (503)", "no reply")),
            "p50_ms": round(percentile(acked, 50) * 1000, 1) if acked else None,
            "p99_ms": round(percentile(acked, 99) * 1000, 1) if acked else None,
            "max_ms": round(max(acked) * 1000, 1) if acked else None,
        }


class Attack:
    """ATTACKERS connections trickling a byte every TRICKLE seconds, reopened when closed."""

    def __init__(self, port, attackers, trickle, sources):
        self.port, self.attackers, self.trickle, self.sources = port, attackers, trickle, sources
        self.stop = threading.Event()
        self.ended = {"408": 0, "503": 0, "other reply": 0, "closed without reply": 0}
        self.lifetimes = []
        self.opened = 0
        self.open_failures = 0

    def connect(self, sel, index):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.bind((self.sources[index % len(self.sources)], 0))
        except OSError:
            pass
        try:
            s.connect(("127.0.0.1", self.port))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            self.open_failures += 1
            return
        in_body = index % 3 == 2
        head = f"POST /webhooks/hubspot HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: application/json\r\n"
        if in_body:
            first, rest = (head + "Content-Length: 1000000\r\n\r\n").encode(), b"[" + b"0," * 400000
        else:
            first, rest = head.encode(), b"X-Trickle: " + b"a" * 100000
        state = {"index": index, "first": first, "rest": rest, "sent_first": False, "pos": 0, "next": time.monotonic(),
                 "opened": time.monotonic(), "reply": b""}
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, state)
        self.opened += 1

    def close(self, sel, s, state):
        sel.unregister(s)
        s.close()
        reply = state["reply"]
        if reply.startswith(b"HTTP/1.1 408") or reply.startswith(b"HTTP/1.0 408"):
            self.ended["408"] += 1
        elif reply.startswith(b"HTTP/1.1 503") or reply.startswith(b"HTTP/1.0 503"):
            self.ended["503"] += 1
        elif reply:
            self.ended["other reply"] += 1
        else:
            self.ended["closed without reply"] += 1
        self.lifetimes.append(time.monotonic() - state["opened"])

    def run(self):
        sel = selectors.DefaultSelector()
        for i in range(self.attackers):
            self.connect(sel, i)
        while not self.stop.is_set():
            for key, events in sel.select(timeout=0.05):
                s, state = key.fileobj, key.data
                if events & selectors.EVENT_READ:
                    try:
                        data = s.recv(4096)
                    except (BlockingIOError, InterruptedError):
                        data = None
                    except OSError:
                        data = b""
                    if data == b"":
                        self.close(sel, s, state)
                        self.connect(sel, state["index"])
                        continue
                    if data:
                        state["reply"] += data
                if events & selectors.EVENT_WRITE and not state["sent_first"]:
                    try:
                        s.send(state["first"])
                        state["sent_first"] = True
                        state["next"] = time.monotonic() + self.trickle
                        sel.modify(s, selectors.EVENT_READ, state)
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError:
                        self.close(sel, s, state)
                        self.connect(sel, state["index"])
            now = time.monotonic()
            for key in list(sel.get_map().values()):
                s, state = key.fileobj, key.data
                if state["sent_first"] and now >= state["next"] and state["pos"] < len(state["rest"]):
                    try:
                        s.send(state["rest"][state["pos"]:state["pos"] + 1])
                        state["pos"] += 1
                    except (BlockingIOError, InterruptedError):
                        pass
                    except OSError:
                        self.close(sel, s, state)
                        self.connect(sel, state["index"])
                        continue
                    state["next"] = now + self.trickle
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        still_open = len(sel.get_map())
        return still_open


def wait_healthy(port, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"mapc serve exited with {process.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("mapc serve did not answer /healthz")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mapc", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".build/debug/mapc"))
    ap.add_argument("--seconds", type=float, default=60, help="length of the attack (default 60)")
    ap.add_argument("--reference", type=float, default=None, help="length of the reference phase (default: seconds / 4, at least 5)")
    ap.add_argument("--attackers", type=int, default=300)
    ap.add_argument("--trickle", type=float, default=1.0, help="seconds between two hostile bytes (default 1)")
    ap.add_argument("--rate", type=float, default=5, help="legitimate deliveries per second (default 5)")
    ap.add_argument("--attack-source", default="127.0.0.2", help="address the hostile connections come from")
    ap.add_argument("--attack-sources", type=int, default=1,
                    help="spread the hostile connections over this many addresses (127.0.1.1, 127.0.1.2, …) instead")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    args.mapc = os.path.abspath(args.mapc)  # serve runs in a scratch directory
    reference = args.reference if args.reference is not None else max(5.0, args.seconds / 4)

    work = tempfile.mkdtemp(prefix="mapc-slowloris-")
    os.makedirs(os.path.join(work, "jobs"))
    port = free_port()
    env = dict(os.environ, MAPC_WEBHOOK_HUBSPOT_SECRET=SECRET)
    env.pop("MAPC_CREDENTIALS", None)
    log = open(os.path.join(work, "serve.log"), "w")
    serve = subprocess.Popen(
        [args.mapc, "serve", "--listen", f"127.0.0.1:{port}", "--admin-listen", "none", "--store", os.path.join(work, "events.db"),
         "--jobs", os.path.join(work, "jobs")], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, serve)
        quiet = Deliveries(port, args.rate, 0).run(reference)
        sources = [args.attack_source] if args.attack_sources <= 1 else [f"127.0.1.{i + 1}" for i in range(args.attack_sources)]
        attack = Attack(port, args.attackers, args.trickle, sources)
        attacker = threading.Thread(target=attack.run, daemon=True)
        attacker.start()
        time.sleep(min(2.0, args.seconds / 10))  # let the hostile connections settle in first
        loud = Deliveries(port, args.rate, 1_000_000).run(max(1.0, args.seconds - min(2.0, args.seconds / 10)))
        attack.stop.set()
        attacker.join()
        alive = serve.poll() is None
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
        log.close()
    lifetimes = attack.lifetimes
    result = {
        "mapc": args.mapc,
        "attackers": args.attackers, "attack_sources": args.attack_sources, "trickle_s": args.trickle, "attack_s": args.seconds, "rate_per_s": args.rate,
        "reference": Deliveries.summary(quiet),
        "under_attack": Deliveries.summary(loud),
        "hostile_connections": {
            "opened": attack.opened, "open_failures": attack.open_failures, "ended": attack.ended,
            "median_lifetime_s": round(percentile(lifetimes, 50), 1) if lifetimes else None,
            "max_lifetime_s": round(max(lifetimes), 1) if lifetimes else None,
        },
        "server_alive_after": alive,
    }
    shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"mapc serve ({args.mapc}); {args.attackers} hostile connections from {len(sources)} address(es) trickling 1 byte / {args.trickle:g} s for {args.seconds:g} s; "
          f"{args.rate:g} signed deliveries / s")
    for name in ("reference", "under_attack"):
        r = result[name]
        print(f"  {name:13} sent {r['sent']:4}  acknowledged {r['acknowledged']:4}  503 {r['busy_503']:4}  no reply {r['no_reply']:4}"
              f"  other {r['other']:3}  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  max {r['max_ms']} ms")
    h = result["hostile_connections"]
    print(f"  hostile connections opened {h['opened']} (failed to open {h['open_failures']}); ended by the server: {h['ended']}; "
          f"lifetime median {h['median_lifetime_s']} s, max {h['max_lifetime_s']} s")
    print(f"  server still running at the end: {alive}")
    if not alive:
        sys.exit(1)


if __name__ == "__main__":
    main()
