#!/usr/bin/env python3
"""The mapping benchmark of issue 7, all from one run.

Generates N HubSpot-like contacts (bench/gen.py, cached in bench/.data/), maps them to Salesforce
leads with `mapc run bench/contacts-to-leads.map`, with bench/reference.py (Python, orjson when
installed) and with bench/reference.jq (jq), checks that the three outputs are byte for byte
identical, and prints records/s for each and the ratios, with mapc's peak RSS (from
/usr/bin/time -v). Then times `mapc check` of a 60-assignment mapping against an 800-field schema
(bench/gen_wide.py).

usage: bench/run.py [N] [--mapc PATH] [--skip-jq] [--repeat R] [--check-runs K]
  N defaults to 1000000. Each tool runs R times (default 3), interleaved with the others, and the
  fastest run counts (a shared machine only ever slows a run down); a tool whose run takes over a
  minute (jq) runs once. Exit status 1 when the outputs differ or a tool fails.
"""

import argparse
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
DATA = os.path.join(BENCH, ".data")
MAPPING = os.path.join(BENCH, "contacts-to-leads.map")


def machine():
    """nproc, CPU model, memory and load, for the report."""
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
                break
    except OSError:
        pass
    load = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else ["?"] * 3
    return {"nproc": os.cpu_count(), "cpu": model, "memory": mem, "load": " ".join(load),
            "kernel": platform.release(), "python": platform.python_version()}


def timed(argv, stdout_path, stdin_path=None):
    """Runs argv under /usr/bin/time -v; returns wall, user, sys seconds and peak RSS in KiB."""
    with open(stdout_path, "wb") as out, open(stdout_path + ".err", "wb") as err:
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        start = time.perf_counter()
        code = subprocess.call(["/usr/bin/time", "-v"] + argv, stdout=out, stderr=err, stdin=stdin)
        wall = time.perf_counter() - start
        if stdin_path:
            stdin.close()
    text = open(stdout_path + ".err", encoding="utf-8", errors="replace").read()

    def field(name):
        m = re.search(re.escape(name) + r":\s*([0-9.]+)", text)
        return float(m.group(1)) if m else float("nan")

    return {"code": code, "wall": wall, "user": field("User time (seconds)"), "sys": field("System time (seconds)"),
            "rss_kb": field("Maximum resident set size (kbytes)"), "stderr": text}


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def first_difference(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        for n, (la, lb) in enumerate(zip(fa, fb), 1):
            if la != lb:
                return "line %d:\n  %s\n  %s" % (n, la[:300], lb[:300])
    return "one output is a prefix of the other"


def count(text):
    """A positive whole number (1_000_000 and 1000000 both read)."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError("not a whole number: %r" % text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1, got %d" % value)
    return value


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1].split("usage:")[0].strip())
    ap.add_argument("n", nargs="?", type=count, default=1_000_000, help="contacts to generate and map (default 1,000,000)")
    ap.add_argument("--mapc", default=os.path.join(ROOT, ".build", "release", "mapc"), help="the mapc binary")
    ap.add_argument("--skip-jq", action="store_true", help="leave jq out (it takes minutes on a million records)")
    ap.add_argument("--repeat", type=count, default=3, help="runs of each tool, the fastest counts (default 3)")
    ap.add_argument("--check-runs", type=count, default=20, help="runs of mapc check (default 20)")
    args = ap.parse_args()
    n, mapc, skip_jq, repeat, check_runs = args.n, args.mapc, args.skip_jq, args.repeat, args.check_runs
    if not os.access(mapc, os.X_OK):
        print("no mapc at %s (build it: swift build -c release --product mapc)" % mapc, file=sys.stderr)
        return 2
    if not os.access("/usr/bin/time", os.X_OK):
        print("/usr/bin/time is missing (apt-get install time)", file=sys.stderr)
        return 2
    os.makedirs(DATA, exist_ok=True)
    before = machine()

    data = os.path.join(DATA, "contacts-%d.jsonl" % n)
    if not os.path.exists(data):
        print("generating %d contacts -> %s" % (n, os.path.relpath(data, ROOT)), flush=True)
        with open(data + ".tmp", "wb") as f:
            subprocess.check_call([sys.executable, os.path.join(BENCH, "gen.py"), str(n)], stdout=f)
        os.replace(data + ".tmp", data)
    size = os.path.getsize(data)

    try:
        import orjson  # noqa: F401
        pyname = "python3 + orjson"
    except ImportError:
        pyname = "python3 + json (orjson not installed)"
    jq = shutil.which("jq")
    runs = [
        ("mapc run", [mapc, "run", MAPPING, "--input", data, "--quiet"], None),
        ("mapc run --no-validate", [mapc, "run", MAPPING, "--input", data, "--quiet", "--no-validate"], None),
        (pyname, [sys.executable, os.path.join(BENCH, "reference.py"), data], None),
    ]
    if jq and not skip_jq:
        jqv = subprocess.run([jq, "--version"], capture_output=True, text=True).stdout.strip()
        runs.append(("jq (%s)" % jqv, [jq, "-c", "-f", os.path.join(BENCH, "reference.jq"), data], None))

    best = {}
    for round_ in range(repeat):
        for name, argv, stdin in runs:
            if name in best and (round_ > 0 and best[name]["wall"] > 60):
                continue
            out = os.path.join(DATA, "out-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".jsonl")
            print("running %s (round %d) ..." % (name, round_ + 1), flush=True)
            r = timed(argv, out, stdin)
            r["name"], r["out"], r["runs"] = name, out, best.get(name, {}).get("runs", 0) + 1
            if r["code"] != 0:
                print("%s failed with status %d:\n%s" % (name, r["code"], r["stderr"][-2000:]), file=sys.stderr)
                return 1
            if name not in best or r["wall"] < best[name]["wall"]:
                best[name] = r
            else:
                best[name]["runs"] = r["runs"]
    results = [best[name] for name, _, _ in runs]

    # Correctness: every output identical to mapc's.
    reference = results[0]
    ok = True
    ref_digest = digest(reference["out"])
    lines = sum(1 for _ in open(reference["out"], "rb"))
    for r in results[1:]:
        if digest(r["out"]) != ref_digest:
            ok = False
            print("OUTPUTS DIFFER: %s vs %s, first difference at %s" % (reference["name"], r["name"],
                                                                        first_difference(reference["out"], r["out"])))

    wide = os.path.join(DATA, "wide")
    subprocess.check_call([sys.executable, os.path.join(BENCH, "gen_wide.py"), wide])
    check_times = []
    for _ in range(check_runs):
        start = time.perf_counter()
        p = subprocess.run([mapc, "check", os.path.join(wide, "wide.map")], capture_output=True, text=True)
        check_times.append((time.perf_counter() - start) * 1000)
        if p.returncode != 0:
            print("mapc check failed:\n" + p.stdout + p.stderr, file=sys.stderr)
            return 1
    fields = sum(1 for _ in re.finditer(r'"name"', open(os.path.join(wide, "schemas", "wide", "source.json")).read()))
    assignments = sum(1 for line in open(os.path.join(wide, "wide.map")) if re.match(r"^\w+ = ", line))
    after = machine()

    print()
    print("machine: %d CPUs (%s), %s memory, Linux %s, Python %s" % (before["nproc"], before["cpu"], before["memory"],
                                                                     before["kernel"], before["python"]))
    print("load average before/after: %s / %s (the machine is shared: compare ratios, not absolutes)" %
          (before["load"], after["load"]))
    print("input: %d contacts, %.1f MB (%s); output: %d leads, sha256 %s" % (n, size / 1e6, os.path.relpath(data, ROOT),
                                                                          lines, ref_digest[:16]))
    print("outputs identical: %s" % ("yes (byte for byte)" if ok else "NO"))
    print()
    print("fastest of the runs of each tool (runs in parentheses)")
    header = "%-38s %9s %9s %12s %12s %10s" % ("tool", "wall s", "cpu s", "records/s", "rec/cpu-s", "peak RSS")
    print(header)
    print("-" * len(header))
    for r in results:
        cpu = r["user"] + r["sys"]
        label = "%s (%d)" % (r["name"], r["runs"])
        print("%-38s %9.2f %9.2f %12s %12s %7.1f MB" % (label, r["wall"], cpu, "{:,.0f}".format(n / r["wall"]),
                                                       "{:,.0f}".format(n / cpu), r["rss_kb"] / 1024))
    print()
    m = results[0]
    for r in results[2:]:
        print("mapc run vs %-26s %6.1fx wall   %6.1fx cpu" % (r["name"] + ":", r["wall"] / m["wall"],
                                                            (r["user"] + r["sys"]) / (m["user"] + m["sys"])))
    print()
    print("mapc check, %d assignments, %d-field source schema, %d runs: min %.1f ms, median %.1f ms, max %.1f ms" %
          (assignments, fields, len(check_times), min(check_times), statistics.median(check_times), max(check_times)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
