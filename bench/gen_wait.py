#!/usr/bin/env python3
"""CPU time `mapc gen` spends while an LLM endpoint stalls.

Starts a TCP server on 127.0.0.1 (free port) that accepts connections, reads the request and never
answers, runs `mapc gen --url ... --timeout SECONDS --no-cache` against it, and reports the child's
wall time and CPU time (user + system, from wait4's rusage). Waiting on a socket should cost no CPU.

    python3 bench/gen_wait.py --mapc .build/release/mapc [--stall 15]
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time


def serve(sock, stop):
    conns = []
    sock.settimeout(0.5)
    while not stop.is_set():
        try:
            conn, _ = sock.accept()
        except socket.timeout:
            continue
        conns.append(conn)  # held open, never answered
    for c in conns:
        c.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mapc", default=".build/debug/mapc")
    p.add_argument("--stall", type=int, default=15, help="seconds mapc waits (its --timeout)")
    p.add_argument("--prose", default="samples/mappings/contacts-to-leads.txt")
    a = p.parse_args()
    if a.stall < 1:
        p.error("--stall must be at least 1")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    port = sock.getsockname()[1]
    stop = threading.Event()
    t = threading.Thread(target=serve, args=(sock, stop), daemon=True)
    t.start()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, MAPC_LLM_API_KEY="")
        start = time.monotonic()
        proc = subprocess.Popen(
            [a.mapc, "gen", a.prose, "--url", f"http://127.0.0.1:{port}", "--timeout", str(a.stall), "--no-cache",
             "--rounds", "0", "-o", os.path.join(tmp, "out.map")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        err = proc.stderr.read().decode(errors="replace").strip().splitlines()
    stop.set()
    t.join()
    cpu = usage.ru_utime + usage.ru_stime
    print(f"mapc: {a.mapc}")
    print(f"exit status: {os.waitstatus_to_exitcode(status)}; last message: {err[-1] if err else ''}")
    print(f"wall {wall:.2f} s, CPU {cpu:.3f} s (user {usage.ru_utime:.3f}, system {usage.ru_stime:.3f}), "
          f"CPU/wall {cpu / wall:.3f}")


if __name__ == "__main__":
    sys.exit(main())
