#!/usr/bin/env python3
"""Drives headless Chromium over the DevTools protocol (stdlib only: a tiny WebSocket client) through
the mapc dashboard: watch a live sync, open a failed record, fix it, retry it, and check the page.
Screenshots go to --artifacts. Prints one JSON object with what it saw; exits non-zero on failure."""
import argparse, base64, json, os, socket, struct, subprocess, sys, tempfile, time, urllib.request


class WebSocket:
    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("websocket upgrade refused: " + head.decode(errors="replace"))

    def send(self, text):
        data = text.encode()
        header = bytes([0x81])
        n = len(data)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RuntimeError("websocket closed")
            buf += chunk
        return buf

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            payload = self._exact(n)
            message += payload
            if b0 & 0x80:
                return message.decode()


class Page:
    def __init__(self, ws):
        self.ws, self.next_id = ws, 0

    def call(self, method, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def eval(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("JS error: " + json.dumps(r["exceptionDetails"]))
        return r["result"].get("value")

    def wait_for(self, expression, timeout=30, what=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                v = self.eval(expression)
                if v:
                    return v
            except RuntimeError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"timed out waiting for {what or expression}; page text: " + str(self.eval("document.body ? document.body.innerText.slice(0, 800) : ''")))

    def goto(self, url):
        self.call("Page.navigate", url=url)
        self.wait_for(f"document.readyState === 'complete' && location.href.startsWith({json.dumps(url.split('?')[0])})", what="load " + url)

    def click_and_wait(self, selector):
        before = self.eval("performance.timeOrigin")
        self.eval(f"document.querySelector({json.dumps(selector)}).click()")
        self.wait_for(f"performance.timeOrigin !== {before} && document.readyState === 'complete'", what="navigation after clicking " + selector)

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chromium", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--job", required=True)
    ap.add_argument("--artifacts", required=True)
    ap.add_argument("--actor", default="Ada")
    ap.add_argument("--password", required=True)
    a = ap.parse_args()
    os.makedirs(a.artifacts, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="mapc-chromium-")
    proc = subprocess.Popen([a.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", f"--user-data-dir={profile}",
                             "--window-size=1440,1000", "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = {}
    try:
        port = None
        deadline = time.time() + 30
        while port is None and time.time() < deadline:
            line = proc.stderr.readline()
            if "DevTools listening on ws://" in line:
                port = int(line.split("ws://")[1].split("/")[0].split(":")[1])
        if port is None:
            raise RuntimeError("chromium did not start its DevTools endpoint")
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = Page(WebSocket(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"]))
        page.call("Page.enable")
        page.call("Emulation.setDeviceMetricsOverride", width=1440, height=1000, deviceScaleFactor=1, mobile=False)
        shot = lambda name: page.screenshot(os.path.join(a.artifacts, name))

        # 1. The jobs page while the sync runs: live progress, refreshed by the page's own script.
        page.goto(a.base + "/login")
        page.eval(f"document.getElementById('login-name').value = {json.dumps(a.actor)}")
        page.eval(f"document.getElementById('login-password').value = {json.dumps(a.password)}")
        page.click_and_wait("#login-submit")
        page.wait_for("location.pathname === '/dashboard'", what="the dashboard after signing in")
        # The test starts the live sync only now, so the browser's start-up never races the run.
        print("signed-in", flush=True)
        row = f"document.querySelector('tr[data-job={json.dumps(a.job)}]')"
        first = page.wait_for(f"{row} && /fetching|mapping|validating|uploading/.test({row}.innerText) && {row}.querySelector('.records').innerText",
                              what="a running job")
        later = page.wait_for(f"(function(){{var t={row}.querySelector('.records').innerText; return t !== {json.dumps(first)} && t}})()",
                              timeout=20, what="live progress without reload")
        seen["progress"] = [first, later]
        shot("01-jobs-running.png")

        # 2. The job page: the pause with its reason and the failed records.
        page.goto(a.base + "/dashboard/jobs/" + a.job)
        seen["reason"] = page.wait_for("document.getElementById('reason') && document.getElementById('reason').innerText", timeout=60, what="the pause reason")
        page.wait_for("!!document.querySelector('a.record-link')", what="a failed record")
        seen["failedCount"] = page.eval("document.querySelectorAll('table.failed tbody tr').length")
        shot("02-job-paused.png")

        # 3. Click through to a failed record and read the platform's reason.
        seen["record"] = page.eval("document.querySelector('a.record-link').innerText")
        page.click_and_wait("a.record-link")
        seen["platformReason"] = page.wait_for("document.getElementById('platform-reason').innerText", what="the platform's reason")
        shot("03-record-rejected.png")

        # 4. Fix the blamed field and save.
        value = page.eval("document.getElementById('fix-value').value")
        fixed = value.replace("-at-", "@")
        seen["fix"] = {"field": page.eval("document.getElementById('fix-field').value"), "from": value, "to": fixed}
        page.eval(f"document.getElementById('fix-value').value = {json.dumps(fixed)}")
        page.click_and_wait("#fix-submit")
        seen["flashAfterFix"] = page.wait_for("document.querySelector('.flash.ok') && document.querySelector('.flash.ok').innerText", what="fix confirmation")
        shot("04-record-fixed.png")

        # 5. One run per job: the paused run is resumed from the job page and finishes first (the
        # record page offers no retry while it is paused), then the record is retried from its page.
        seen["retryWhilePaused"] = page.eval("!!document.querySelector('.fix form.action-retry')")
        page.goto(a.base + "/dashboard/jobs/" + a.job)
        page.wait_for("!!document.querySelector('form.action-resume button')", what="the resume button")
        page.click_and_wait("form.action-resume button")
        page.wait_for("document.querySelector('.flash.ok') && document.querySelector('.flash.ok').innerText", what="resume confirmation")
        record_url = a.base + "/dashboard/jobs/" + a.job + "/record?key=" + seen["record"]
        deadline = time.time() + 60
        while time.time() < deadline:
            page.goto(record_url)
            if page.eval("!!document.querySelector('.fix form.action-retry')"):
                break
            time.sleep(0.5)
        page.click_and_wait(".fix form.action-retry button")
        seen["flashAfterRetry"] = page.wait_for("document.querySelector('.flash.ok') && document.querySelector('.flash.ok').innerText", what="retry confirmation")
        deadline = time.time() + 30
        status = None
        while time.time() < deadline:
            page.goto(record_url)
            status = page.eval("document.getElementById('record-status').innerText")
            if status in ("created", "updated"):
                break
            time.sleep(0.5)
        seen["statusAfterRetry"] = status
        shot("05-record-delivered.png")
        page.goto(a.base + "/dashboard/jobs/" + a.job)
        seen["timelineHasActor"] = page.eval(f"(function(t){{return t.includes('started retry') && t.includes({json.dumps('by ' + a.actor)})}})(document.querySelector('ol.timeline').innerText)")
        shot("06-job-after-retry.png")
        print(json.dumps({"ok": True, "seen": seen}))
    except Exception as e:  # report what we saw so far
        print(json.dumps({"ok": False, "error": str(e), "seen": seen}))
        try:
            page.screenshot(os.path.join(a.artifacts, "failure.png"))
        except Exception:
            pass
        sys.exit(1)
    finally:
        proc.kill()
        proc.wait()
        subprocess.run(["rm", "-rf", profile])


if __name__ == "__main__":
    main()
