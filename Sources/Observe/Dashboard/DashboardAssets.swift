/// The dashboard's stylesheet and script, shipped inside the binary: no build step, no external assets.
public enum DashboardAssets {
    /// The stylesheet.
    public static let css = """
        :root { --fg:#1d232a; --muted:#66707a; --line:#dde2e7; --bg:#f6f7f9; --card:#fff; --ok:#1f7a3d; --bad:#b42318; --warn:#a15c00; --run:#1d5fbf; }
        * { box-sizing: border-box; }
        body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
        header { display:flex; gap:1.5rem; align-items:center; padding:.6rem 1.5rem; background:#17202b; color:#fff; }
        header a { color:#dfe7f1; text-decoration:none; margin-right:1rem; }
        header .brand { font-weight:700; color:#fff; font-size:1.1rem; }
        header .actor { margin-left:auto; color:#b9c4d0; }
        header input { font:inherit; padding:.1rem .3rem; }
        main { max-width:1400px; margin:0 auto; padding:1rem 1.5rem 3rem; }
        h1 { font-size:1.5rem; margin:.6rem 0 .8rem; } h2 { font-size:1.1rem; margin:1.4rem 0 .5rem; }
        table { border-collapse:collapse; width:100%; background:var(--card); border:1px solid var(--line); }
        th, td { text-align:left; padding:.4rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
        thead th { background:#eef1f4; font-weight:600; font-size:.85rem; color:#3b4550; }
        td.num { text-align:right; } code { font:12px/1.3 ui-monospace,Menlo,Consolas,monospace; background:#eef1f4; padding:0 .2rem; border-radius:3px; word-break:break-all; }
        .muted { color:var(--muted); } .small { font-size:.85rem; } .okay { color:var(--ok); }
        .badge { display:inline-block; padding:.05rem .5rem; border-radius:999px; font-size:.8rem; font-weight:600; background:#e7eaee; }
        .state-fetching, .state-mapping, .state-validating, .state-uploading { background:#dbe8fb; color:var(--run); }
        .state-completed, .status-created, .status-updated, .status-duplicate { background:#dcf3e3; color:var(--ok); }
        .state-paused { background:#fdecd2; color:var(--warn); } .state-failed, .status-rejected, .wedged { background:#fde1de; color:var(--bad); }
        .chip { display:inline-block; padding:0 .4rem; border-radius:4px; font-size:.8rem; }
        .chip.unusual, .chip.warn { background:#fdecd2; color:var(--warn); } .chip.bad { background:#fde1de; color:var(--bad); }
        tr.health-wedged, tr.health-failed { background:#fff6f5; } tr.health-paused, tr.health-unusual { background:#fffaf0; }
        progress { width:110px; height:.8rem; vertical-align:middle; }
        .flash { padding:.5rem .8rem; border-radius:4px; } .flash.ok { background:#dcf3e3; } .flash.bad { background:#fde1de; }
        .reason { background:#fff6f5; border-left:4px solid var(--bad); padding:.5rem .8rem; }
        .counts { display:flex; flex-wrap:wrap; gap:.5rem; list-style:none; padding:0; }
        .counts li { background:var(--card); border:1px solid var(--line); border-radius:4px; padding:.2rem .6rem; }
        .actions { display:flex; gap:.5rem; margin:.8rem 0; } form.inline { display:inline; }
        button { font:inherit; padding:.3rem .8rem; border:1px solid #b8c1ca; background:#fff; border-radius:4px; cursor:pointer; }
        button.primary { background:var(--run); border-color:var(--run); color:#fff; } button.danger { color:var(--bad); border-color:var(--bad); }
        .grid { display:grid; grid-template-columns:repeat(auto-fit,minmax(420px,1fr)); gap:1.2rem; }
        dl.mapping { display:grid; grid-template-columns:max-content 1fr; gap:.2rem .8rem; background:var(--card); border:1px solid var(--line); padding:.6rem; margin:0; }
        dl.mapping dt { color:var(--muted); } dl.mapping dd { margin:0; }
        ol.timeline { list-style:none; padding:0; margin:0; background:var(--card); border:1px solid var(--line); max-height:32rem; overflow:auto; }
        ol.timeline li { padding:.25rem .6rem; border-bottom:1px solid var(--line); }
        ol.timeline li.operator { background:#eef5ff; } ol.timeline li.alert { background:#fffaf0; }
        ol.timeline time, .seq { color:var(--muted); font-size:.8rem; } .type { font-weight:600; font-size:.8rem; }
        .fix form { display:flex; flex-wrap:wrap; gap:.8rem; align-items:end; background:var(--card); border:1px solid var(--line); padding:.8rem; }
        .fix label { display:flex; flex-direction:column; font-size:.85rem; color:var(--muted); } .fix input { font:inherit; padding:.25rem .4rem; }
        .crumbs a { color:var(--run); }
        header .who { margin-left:auto; color:#b9c4d0; } header .role { font-size:.8rem; color:#8fa0b3; }
        header form.logout button { padding:.1rem .6rem; }
        body.login main { max-width:22rem; margin:12vh auto; }
        form.login { display:flex; flex-direction:column; gap:.8rem; background:var(--card); border:1px solid var(--line); padding:1rem; }
        form.login label { display:flex; flex-direction:column; font-size:.85rem; color:var(--muted); } form.login input { font:inherit; padding:.3rem .4rem; }
        form.filter { margin:.5rem 0; } form.filter input, form.filter select { font:inherit; padding:.15rem .3rem; }
        .pager { margin:.4rem 0; } .pager a { margin-left:.8rem; color:var(--run); } .why-not { margin:.2rem 0 .8rem; }
        table.groups td.what { white-space:nowrap; } tr.selected { background:#eef5ff; }
        """

    /// The script: live refresh of the `data-live` regions every few seconds (skipped while the
    /// page is hidden; a page whose session ended is reloaded, which leads to the sign-in page), and
    /// confirmation of dangerous actions. The page works without it; it is served as a file of its
    /// own because the content security policy allows no inline script.
    public static let js = """
        (function () {
          "use strict";
          var label = document.getElementById("refresh-state");
          function refresh() {
            if (document.hidden) return;
            fetch(location.href, { headers: { "X-Requested-With": "refresh" }, credentials: "same-origin" }).then(function (r) {
              if (r.redirected && new URL(r.url).pathname === "/login") { location.reload(); throw new Error("signed out"); }
              if (!r.ok) throw new Error("HTTP " + r.status);
              return r.text();
            }).then(function (text) {
              var doc = new DOMParser().parseFromString(text, "text/html");
              document.querySelectorAll("[data-live]").forEach(function (el) {
                var fresh = doc.getElementById(el.id);
                if (fresh && fresh.innerHTML !== el.innerHTML) el.innerHTML = fresh.innerHTML;
              });
              var h = doc.querySelector("h1"), mine = document.querySelector("h1");
              if (h && mine && h.innerHTML !== mine.innerHTML) mine.innerHTML = h.innerHTML;
              if (label) label.textContent = "live · " + new Date().toLocaleTimeString();
            }).catch(function (e) { if (label) label.textContent = "refresh failed: " + e.message; });
          }
          if (document.querySelector("[data-live]")) setInterval(refresh, 3000);
          document.addEventListener("submit", function (ev) {
            var f = ev.target;
            if (f && f.getAttribute && f.getAttribute("data-confirm") && !confirm(f.getAttribute("data-confirm"))) ev.preventDefault();
          });
        })();
        """
}
