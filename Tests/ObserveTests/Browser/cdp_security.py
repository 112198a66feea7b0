#!/usr/bin/env python3
"""Drives headless Chromium over the DevTools protocol through the console's defences: the sign-in
page, a wrong password, a forged cross-site form and one from a sandboxed frame (Origin: null), the
operator's own fix, and a read-only operator who sees no actions and whose post is refused.
Prints one JSON object with what it saw; exits non-zero on failure. Standard library only; the
WebSocket client and page helpers are cdp_drive.py's."""
import argparse, json, os, subprocess, sys, tempfile, time, urllib.request

from cdp_drive import Page, WebSocket


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chromium", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--evil", required=True)
    ap.add_argument("--job", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--operator", nargs=2, required=True, metavar=("NAME", "PASSWORD"))
    ap.add_argument("--reader", nargs=2, required=True, metavar=("NAME", "PASSWORD"))
    ap.add_argument("--artifacts", required=True)
    a = ap.parse_args()
    os.makedirs(a.artifacts, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="mapc-chromium-")
    proc = subprocess.Popen([a.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", f"--user-data-dir={profile}",
                             "--window-size=1280,900", "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = {}
    page = None
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
        shot = lambda name: page.screenshot(os.path.join(a.artifacts, name))
        text = "document.body ? document.body.innerText : ''"

        def sign_in(name, password):
            page.goto(a.base + "/login")
            page.eval(f"document.getElementById('login-name').value = {json.dumps(name)}")
            page.eval(f"document.getElementById('login-password').value = {json.dumps(password)}")
            page.click_and_wait("#login-submit")

        # 1. Not signed in: the dashboard sends the browser to the sign-in page.
        page.call("Page.navigate", url=a.base + "/dashboard")
        page.wait_for("location.pathname === '/login' && document.readyState === 'complete' && !!document.getElementById('login-form')",
                      what="the sign-in page")
        seen["signInShown"] = page.eval("location.pathname + location.search")
        shot("s1-sign-in.png")

        # 2. A wrong password is refused.
        sign_in(a.operator[0], a.operator[1] + "-wrong")
        seen["wrongPassword"] = page.wait_for("location.pathname === '/login' && document.querySelector('.flash.bad') && "
                                              "document.querySelector('.flash.bad').innerText", what="the refusal")

        # 3. The operator signs in.
        sign_in(*a.operator)
        page.wait_for("location.pathname === '/dashboard'", what="the dashboard after signing in")
        seen["signedInAs"] = page.eval("document.getElementById('who').innerText")

        # 4. A page on another origin posts a fix: refused.
        page.call("Page.navigate", url=a.evil + "/forge")
        seen["forgedAnswer"] = page.wait_for(f"location.href.startsWith({json.dumps(a.base)}) && /Forbidden/.test({text}) && {text}",
                                             what="the console's answer to the forged form")
        shot("s2-forged-refused.png")

        # 5. A sandboxed frame (Origin: null) posts a fix; the parent page marks when the frame has
        #    loaded the answer (its second load).
        page.goto(a.evil + "/frame")
        page.wait_for("document.title === 'answered'", what="the sandboxed frame's post and answer")
        seen["framePosted"] = True

        # 6. The operator's own fix, from the record's page.
        page.goto(a.base + f"/dashboard/jobs/{a.job}/record?key={a.key}")
        value = page.eval("document.getElementById('fix-value').value")
        page.eval(f"document.getElementById('fix-value').value = {json.dumps(value.replace('-at-', '@'))}")
        page.click_and_wait("#fix-submit")
        seen["fixFlash"] = page.wait_for("document.querySelector('.flash.ok') && document.querySelector('.flash.ok').innerText",
                                         what="the fix's confirmation")
        shot("s3-fixed-by-operator.png")

        # 7. Sign out; the read-only operator signs in and sees no action.
        page.click_and_wait("#logout")
        page.wait_for("location.pathname === '/login'", what="the sign-in page after signing out")
        sign_in(*a.reader)
        page.wait_for("location.pathname === '/dashboard'", what="the dashboard for the read-only operator")
        page.goto(a.base + f"/dashboard/jobs/{a.job}")
        seen["readOnlyNote"] = page.wait_for("document.getElementById('read-only') && document.getElementById('read-only').innerText",
                                             what="the read-only note")
        seen["readOnlyActionForms"] = page.eval("document.querySelectorAll('form.inline').length")
        shot("s4-read-only.png")
        page.goto(a.base + f"/dashboard/jobs/{a.job}/record?key={a.key}")
        seen["readOnlyFixForm"] = page.eval("!!document.getElementById('fix-form')")

        # 8. A post from the read-only operator's own page (with the session's token): refused.
        seen["readOnlyPost"] = page.eval(
            "fetch('/dashboard/jobs/" + a.job + "/record/fix', {method: 'POST', credentials: 'same-origin', "
            "body: new URLSearchParams({csrf: document.querySelector('input[name=csrf]').value, key: " + json.dumps(a.key)
            + ", field: 'Email', value: 'read-only@example.com'})}).then(function (r) { return r.status; })")
        print(json.dumps({"ok": True, "seen": seen}))
    except Exception as e:  # report what we saw so far
        print(json.dumps({"ok": False, "error": str(e), "seen": seen}))
        try:
            page.screenshot(os.path.join(a.artifacts, "security-failure.png"))
        except Exception:
            pass
        sys.exit(1)
    finally:
        proc.kill()
        proc.wait()
        subprocess.run(["rm", "-rf", profile])


if __name__ == "__main__":
    main()
