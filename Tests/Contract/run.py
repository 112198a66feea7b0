#!/usr/bin/env python3
"""Drives `mapc sandbox` with the platforms' official Python clients and reports every broken contract.

    .build/contract-venv/bin/python Tests/Contract/run.py --mapc .build/debug/mapc [--only hubspot,segment]

Starts one sandbox with every emulator (repository samples, schemas and rate limits), resets the
emulator before each check, runs the checks of contract_<platform>.py and prints one line per check
and a closing `contract: N passed, N failed`. Exits 1 when a check failed or found no checks, 2 on a
usage error, 3 when the sandbox could not be started.
"""

import argparse
import importlib
import os
import signal
import sys
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import contract  # noqa: E402
from sandbox import Sandbox, SandboxError  # noqa: E402

PLATFORMS = ["hubspot", "salesforce", "mailchimp", "segment", "ga4"]
CLIENTS = ["hubspot-api-client", "simple-salesforce", "mailchimp-marketing", "segment-analytics-python"]
CHECK_SECONDS = 45


class CheckTimeout(Exception):
    pass


def on_alarm(signum, frame):
    raise CheckTimeout("check took longer than %d s" % CHECK_SECONDS)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mapc", required=True, help="path of the mapc executable")
    parser.add_argument("--only", default="", help="comma-separated platforms to check (default: all)")
    parser.add_argument("--verbose", action="store_true", help="print each failure's full traceback")
    arguments = parser.parse_args()

    platforms = [p.strip() for p in arguments.only.split(",") if p.strip()] or PLATFORMS
    unknown = [p for p in platforms if p not in PLATFORMS]
    if unknown:
        print("run.py: unknown platform %s (choose from %s)" % (", ".join(unknown), ", ".join(PLATFORMS)))
        return 2
    mapc = os.path.abspath(arguments.mapc)
    if not os.access(mapc, os.X_OK):
        print("run.py: %s is not an executable (build it first: swift build --product mapc)" % mapc)
        return 2

    for platform in platforms:
        importlib.import_module("contract_" + platform)
    print("official clients: " + ", ".join("%s %s" % (name, contract.version(name)) for name in CLIENTS))

    started = time.monotonic()
    try:
        sandbox = Sandbox(mapc, ROOT, platforms)
        sandbox.start()
    except SandboxError as error:
        print("run.py: %s" % error)
        return 3

    passed = failed = 0
    signal.signal(signal.SIGALRM, on_alarm)
    try:
        for platform, name, description, function in contract.CHECKS:
            if platform not in platforms:
                continue
            emulator = sandbox.emulators[platform]
            began = time.monotonic()
            try:
                emulator.reset()
                signal.alarm(CHECK_SECONDS)
                try:
                    function(emulator)
                finally:
                    signal.alarm(0)
            except Exception as error:  # every failure is reported, none stops the run
                failed += 1
                print("FAIL %s.%s: %s" % (platform, name, description.strip().splitlines()[0]))
                print("     %s: %s" % (type(error).__name__, str(error)[:2000]))
                if arguments.verbose or not isinstance(error, AssertionError):
                    print("     " + "".join(traceback.format_exception(error)).replace("\n", "\n     "))
            else:
                passed += 1
                print("ok   %s.%s (%.2f s)" % (platform, name, time.monotonic() - began))
    finally:
        sandbox.stop()

    print("contract tests took %.1f s" % (time.monotonic() - started))
    print("contract: %d passed, %d failed" % (passed, failed))
    if passed + failed == 0:
        print("run.py: no contract check ran")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
