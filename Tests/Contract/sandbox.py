"""Runs `mapc sandbox` for the contract tests and talks to each emulator's /_sandbox control API.

Only the Python standard library is used here, so the harness itself never depends on what the
official clients happen to install.
"""

import json
import os
import queue
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

STARTUP_SECONDS = 30


class SandboxError(Exception):
    """The sandbox could not be started or answered its control API unexpectedly."""


class Emulator:
    """One running emulator: its base URL, the credential it accepts and its control endpoints."""

    def __init__(self, platform, url, environment):
        self.platform = platform
        self.url = url.rstrip("/")
        self.environment = environment
        prefix = "MAPC_%s_" % platform.upper()
        self.credential = environment[prefix + "TOKEN"]
        self.parameters = {
            name[len(prefix):].lower(): value
            for name, value in environment.items()
            if name.startswith(prefix) and name not in (prefix + "URL", prefix + "TOKEN")
        }

    def control(self, method, path, body=None):
        """Calls `/_sandbox/<path>` and returns the decoded JSON reply (or None for an empty one)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + "/_sandbox/" + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                text = reply.read()
        except urllib.error.HTTPError as error:
            raise SandboxError("%s /_sandbox/%s answered %d: %s" % (method, path, error.code, error.read()[:300]))
        return json.loads(text) if text else None

    def reset(self):
        """Reseeds records and clears the request log, limit counters and faults."""
        self.control("POST", "reset")

    def faults(self, **switches):
        """Patches the fault switches (e.g. `rateLimitNext=1`)."""
        return self.control("POST", "faults", switches)

    def requests(self):
        """The emulator's request log, oldest first."""
        return self.control("GET", "requests")["requests"]

    def records(self, object_name, key=None, value=None):
        """The emulator's stored records of `object_name` (see `/_sandbox/records`)."""
        query = {"object": object_name}
        if key is not None:
            query["key"] = key
        if value is not None:
            query["value"] = value
        return self.control("GET", "records?" + urllib.parse.urlencode(query))

    def statuses(self):
        """Status codes of the logged requests, in order."""
        return [entry["status"] for entry in self.requests()]


class Sandbox:
    """`mapc sandbox` for the given platforms, started from the repository root."""

    def __init__(self, mapc, root, platforms, rate_limits=None):
        self.mapc = mapc
        self.root = root
        self.platforms = list(platforms)
        self.rate_limits = rate_limits or os.path.join(root, "ratelimits")
        self.process = None
        self.emulators = {}
        self._lines = queue.Queue()
        self._stderr = []

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        command = [
            self.mapc, "sandbox",
            "--seed", os.path.join(self.root, "samples"),
            "--schemas", os.path.join(self.root, "schemas"),
            "--rate-limits", self.rate_limits,
        ]
        for platform in self.platforms:
            command += ["--platform", platform]
        self.process = subprocess.Popen(
            command, cwd=self.root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        threading.Thread(target=self._pump, args=(self.process.stdout, self._lines), daemon=True).start()
        threading.Thread(target=self._collect_stderr, daemon=True).start()

        urls = {}
        environment = {}
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise SandboxError("mapc sandbox printed no control line within %d s" % STARTUP_SECONDS)
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self.process.wait()
                raise SandboxError(
                    "mapc sandbox exited with %s before it was ready: %s" % (code, "".join(self._stderr)[-500:]))
            line = line.rstrip("\n")
            if line.startswith("# control:"):
                break
            if line.startswith("# ") and ": " in line:
                name, url = line[2:].split(": ", 1)
                urls[name] = url
            elif line.startswith("export ") and "=" in line:
                name, value = line[len("export "):].split("=", 1)
                environment[name] = value
        for platform in self.platforms:
            base = environment.get("MAPC_%s_URL" % platform.upper())
            if base is None:
                raise SandboxError("mapc sandbox printed no URL for %s" % platform)
            self.emulators[platform] = Emulator(platform, base, environment)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    @staticmethod
    def _pump(stream, lines):
        for line in stream:
            lines.put(line)
        lines.put(None)

    def _collect_stderr(self):
        for line in self.process.stderr:
            self._stderr.append(line)
