// The console's page: one self-contained HTML document (inline CSS and script, no CDN), so it works
// offline, behind a port-forward, and under a Content-Security-Policy that allows nothing external.
import { createHash } from 'node:crypto';
import { PAGE_SCRIPT } from './page-script.js';

const STYLE = `
:root { --ink:#1d2330; --muted:#5f6b7a; --line:#d8dde5; --bg:#f5f7fa; --card:#fff; --bad:#c62828; --warn:#b26a00; --ok:#2e7d32; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color:var(--ink); background:var(--bg); }
header { display:flex; align-items:baseline; gap:16px; flex-wrap:wrap; padding:12px 20px; background:#1d2330; color:#fff; }
header h1 { font-size:18px; margin:0; font-weight:600; }
header .meta { color:#c5ccd6; font-size:12px; }
#live { margin-left:auto; font-size:12px; }
#live.ok::before { content:"\\25CF "; color:#66bb6a; }
#live.down::before { content:"\\25CF "; color:#ef5350; }
main { padding:14px 20px 30px; display:grid; gap:14px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 16px; }
h2 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted); margin:0 0 10px; }
.splitbar { display:flex; height:30px; border-radius:6px; overflow:hidden; border:1px solid var(--line); }
.splitbar div { display:flex; align-items:center; justify-content:center; color:#fff; font-weight:600; font-size:13px; white-space:nowrap; overflow:hidden; min-width:0; }
.controls { display:flex; flex-wrap:wrap; align-items:center; gap:10px 18px; margin-top:10px; }
.controls label { display:flex; align-items:center; gap:6px; font-weight:600; }
.controls input { width:72px; padding:4px 6px; font:inherit; border:1px solid var(--line); border-radius:4px; }
button { font:inherit; padding:5px 12px; border-radius:5px; border:1px solid #8a94a3; background:#fff; cursor:pointer; }
button.primary { background:#1d2330; color:#fff; border-color:#1d2330; }
button.danger { border-color:var(--bad); color:var(--bad); }
button:disabled { opacity:.45; cursor:default; }
#message { margin-top:8px; min-height:20px; font-weight:600; }
#message.error { color:var(--bad); }
#message.ok { color:var(--ok); }
.swatch { display:inline-block; width:11px; height:11px; border-radius:3px; vertical-align:-1px; margin-right:5px; }
.steps { display:flex; align-items:center; gap:6px; flex-wrap:wrap; margin-top:6px; }
.step { padding:3px 10px; border-radius:12px; border:1px solid var(--line); color:var(--muted); }
.step.done { background:#e8f0fe; color:var(--ink); }
.step.current { background:#1d2330; color:#fff; border-color:#1d2330; }
.step.failed { background:var(--bad); color:#fff; border-color:var(--bad); }
.bad { color:var(--bad); font-weight:700; }
.muted { color:var(--muted); }
#banner { background:#fdecea; border:1px solid var(--bad); color:var(--bad); border-radius:8px; padding:10px 16px; font-weight:600; white-space:pre-wrap; }
.lanemap { display:grid; gap:0; }
.lanehead, .lanerow { display:grid; grid-template-columns:170px 1fr; }
.lanehead .lanes div { padding:6px 8px; font-weight:700; color:#fff; border-radius:6px 6px 0 0; margin:0 4px; }
.lanes { display:grid; position:relative; }
.lanerow { border-top:1px solid var(--line); padding:8px 0; }
.svc { font-weight:700; padding:6px 8px 0 0; word-break:break-word; }
.svc small { display:block; font-weight:400; color:var(--muted); }
.cell { margin:0 4px; padding:6px 8px; border-radius:6px; border-left:5px solid; min-height:70px; font-size:13px; }
.cell.empty { opacity:.55; }
.cell .rps { font-size:17px; font-weight:700; }
.cell .bad { color:var(--bad); font-weight:700; }
.cell .warn { color:var(--warn); }
.arrows { position:relative; grid-column:1 / -1; }
.arrow { position:absolute; height:18px; display:flex; align-items:center; }
.arrow .shaft { flex:1; height:6px; border-radius:3px; }
.arrow .head { width:0; height:0; border-top:9px solid transparent; border-bottom:9px solid transparent; }
.arrow.right .head { border-left:12px solid; }
.arrow.left { flex-direction:row-reverse; }
.arrow.left .head { border-right:12px solid; }
.arrow .label { position:absolute; top:-15px; left:50%; transform:translateX(-50%); font-size:12px; font-weight:600; white-space:nowrap; background:#fff; padding:0 4px; border-radius:3px; }
table.small { border-collapse:collapse; font-size:13px; }
table.small td, table.small th { padding:3px 10px 3px 0; text-align:left; }
`;

const BODY = `
<header>
  <h1>colormesh release console</h1>
  <span class="meta" id="source"></span>
  <span id="live" class="down">connecting…</span>
</header>
<main>
  <div id="banner" role="alert" hidden></div>
  <section id="split" aria-label="ingress split">
    <h2>Ingress split</h2>
    <div class="splitbar" id="splitbar"></div>
    <div class="muted" id="sticky"></div>
    <form class="controls" id="weights" autocomplete="off">
      <span id="weight-inputs" class="controls" style="margin:0"></span>
      <button type="submit" class="primary" id="apply">Apply weights</button>
      <button type="button" id="reset">Reset</button>
    </form>
    <div class="controls" id="rollbacks"></div>
    <div id="message" role="status" aria-live="polite"></div>
  </section>
  <section id="rollout" aria-label="rollout">
    <h2>Rollout</h2>
    <div id="rollout-body" class="muted">No rollout in progress.</div>
  </section>
  <section aria-label="lane map">
    <h2>Lane map <span class="muted" style="text-transform:none;letter-spacing:0">— requests of each color, per service; an arrow is traffic that left its lane (fallback)</span></h2>
    <div class="lanemap" id="lanemap"></div>
  </section>
  <section id="mirroring" aria-label="mirroring">
    <h2>Mirroring</h2>
    <div id="mirror-body" class="muted">No service mirrors its traffic.</div>
  </section>
  <section aria-label="sources">
    <h2>Metrics sources</h2>
    <div id="targets" class="muted"></div>
  </section>
</main>`;

const scriptHash = createHash('sha256').update(PAGE_SCRIPT).digest('base64');

/** Allows only this page's own inline script and style, no framing (clickjacking the rollback button). */
export const PAGE_CSP = `default-src 'none'; script-src 'sha256-${scriptHash}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>colormesh console</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>${BODY}
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
