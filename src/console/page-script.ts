// The page's script, shipped inline as text: polls /api/state, draws the split, the rollout and the
// lane map, and sends weight changes and rollbacks. Plain browser JavaScript (no build step, no
// backticks), so what runs is exactly what is read here and in the two parts it is assembled from.
import { PAGE_HELPERS } from './page-helpers.js';
import { PAGE_LANE_MAP } from './page-lanemap.js';

const MAIN = String.raw`
  function say(text, kind) {
    var m = $('message');
    m.textContent = text;
    m.className = kind || '';
    m.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  }

  function renderSplit() {
    var split = state.split;
    var bar = $('splitbar'); bar.textContent = '';
    var inputs = $('weight-inputs');
    var rollbacks = $('rollbacks');
    if (!split) {
      rollbacks.textContent = '';
      rollbacks.removeAttribute('data-signature');
      bar.appendChild(el('div', { text: 'no ingress.split in the rules', style: 'background:#9aa3ae;flex:1' }));
      $('weights').style.display = 'none';
      $('sticky').textContent = '';
      return;
    }
    $('weights').style.display = '';
    var total = 0, colors = Object.keys(split.weights);
    colors.forEach(function (c) { total += split.weights[c]; });
    colors.forEach(function (c) {
      var w = split.weights[c];
      if (!(w > 0)) return;
      var pct = total > 0 ? (100 * w / total) : 0;
      bar.appendChild(el('div', { 'data-split-color': c, title: c + ' ' + w, style: 'flex:' + w + ';background:' + laneColor(c), text: c + ' ' + (Math.round(pct * 10) / 10) + ' %' }));
    });
    $('sticky').textContent = (split.stickyBy ? 'sticky by ' + split.stickyBy + ' · ' : 'not sticky (random per request) · ') +
      'stable color: ' + (split.stable || '–');
    var known = Array.prototype.map.call(inputs.querySelectorAll('input'), function (i) { return i.getAttribute('data-color'); }).join(',');
    if (known !== colors.join(',')) {
      inputs.textContent = '';
      colors.forEach(function (c) {
        var input = el('input', { type: 'text', id: 'weight-' + c, name: c, 'data-color': c, 'aria-label': 'weight of ' + c, value: String(split.weights[c]), inputMode: 'decimal' });
        input.addEventListener('input', function () { dirty = true; });
        inputs.appendChild(el('label', { htmlFor: 'weight-' + c }, [el('span', { className: 'swatch', style: 'background:' + laneColor(c) }), c, input]));
      });
      dirty = false;
    } else if (!dirty) {
      // Follow changes made elsewhere (a rollout, another person) until this person starts typing.
      Array.prototype.forEach.call(inputs.querySelectorAll('input'), function (i) {
        var v = String(split.weights[i.getAttribute('data-color')]);
        if (i.value !== v && document.activeElement !== i) i.value = v;
      });
    }
    // Rebuilt only when they change: a button replaced under the pointer would swallow the click.
    var signature = JSON.stringify([split.stable, split.candidates, split.weights]);
    if (rollbacks.getAttribute('data-signature') === signature) return;
    rollbacks.setAttribute('data-signature', signature);
    rollbacks.textContent = '';
    split.candidates.forEach(function (c) {
      var b = el('button', { type: 'button', 'data-rollback': c, className: 'danger', disabled: !(split.weights[c] > 0),
        title: 'roll back: set ' + c + ' to 0 and give its weight to ' + split.stable, text: 'Rollback ' + c + ' \u2192 ' + split.stable });
      b.addEventListener('click', function () { rollback(c); });
      rollbacks.appendChild(b);
    });
  }

  function renderRollout() {
    var body = $('rollout-body');
    body.textContent = '';
    var r = state.rollout;
    if (!r) { body.className = 'muted'; body.textContent = 'No rollout in progress.'; return; }
    body.className = '';
    var fromFile = r.source === 'status-file';
    var parts = [el('strong', { text: r.from + ' \u2192 ' + r.to })];
    if (fromFile) parts.push(' · ', el('span', { className: r.state === 'rolled-back' || r.state === 'stale' || r.state === 'conflict' ? 'bad' : '', 'data-rollout-state': r.state, text: r.state }));
    if (r.share != null) parts.push(' · ' + r.to + ' has ' + r.share + ' % of their users');
    parts.push(' · ' + (fromFile ? 'colormesh rollout, step ' + (r.step + 1) + ' of ' + r.steps.length : 'weights moved recently (seen from their history; no rollout status file)'));
    parts.push(' · since ' + new Date(r.startedAt).toLocaleTimeString());
    if (r.reason) parts.push(' · ' + r.reason);
    body.appendChild(el('div', {}, parts));
    var steps = el('div', { className: 'steps', 'data-rollout-steps': '' });
    r.steps.forEach(function (s, i) {
      var ended = r.state === 'rolled-back' || r.state === 'aborted' || r.state === 'conflict';
      var cls = 'step' + (i < r.step || r.state === 'promoted' ? ' done' : i === r.step ? (ended ? ' failed' : ' current') : '');
      if (i > 0) steps.appendChild(el('span', { className: 'muted', text: '\u2192' }));
      steps.appendChild(el('span', { className: cls, 'data-step': String(i), text: s + ' %' }));
    });
    body.appendChild(steps);
    // Past 50 % the candidate is the largest weight, so the split has no rollback button for it: this one
    // sends its users back to the rollout's --from, as colormesh rollout --abort would.
    // Only then: one button per action, so "the rollback button for green" is never ambiguous.
    var active = r.state === 'running' || r.state === 'stale' || r.state === 'seen';
    if (active && r.share > 0 && state.split && state.split.stable === r.to && state.split.weights[r.from] != null) {
      var b = el('button', { type: 'button', className: 'danger', 'data-abort-rollout': r.to,
        text: 'Abort: send ' + r.to + '\u2019s users back to ' + r.from });
      b.addEventListener('click', function () { send('/api/rollback', { color: r.to, to: r.from }, 'Rolled back ' + r.to + ' to ' + r.from); });
      body.appendChild(el('div', { className: 'controls' }, [b]));
    }
  }

  function renderSources() {
    $('source').textContent = 'rules: ' + state.rules.source + (state.rules.version ? ' · version ' + state.rules.version : '') +
      ' · metrics: ' + state.metrics.source;
    var t = $('targets');
    t.textContent = '';
    if (state.rules.error) t.appendChild(el('div', { className: 'bad', text: 'rules: ' + state.rules.error }));
    var banner = $('banner');
    banner.hidden = !state.rules.error;
    banner.textContent = state.rules.error ? 'The rules cannot be read or are not valid; the sidecars keep the last good ones, shown here.\n' + state.rules.error : '';
    var ok = state.metrics.targets.filter(function (x) { return x.ok; }).length;
    t.appendChild(el('div', { text: state.metrics.targets.length ? ok + ' of ' + state.metrics.targets.length + ' metrics sources answered' : 'no metrics source: ' + state.metrics.source }));
    state.metrics.targets.filter(function (x) { return !x.ok; }).forEach(function (x) {
      t.appendChild(el('div', { className: 'bad', text: x.url + ': ' + x.error }));
    });
  }

  function render() {
    renderSplit(); renderRollout(); renderLanes(); renderMirrors(); renderSources();
  }

  function refresh() {
    fetch('/api/state', { cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(function (s) {
      state = s;
      render();
      $('live').className = 'ok';
      $('live').textContent = 'live · ' + new Date(s.updatedAt).toLocaleTimeString();
    }).catch(function (err) {
      $('live').className = 'down';
      $('live').textContent = 'console unreachable: ' + err.message;
    }).then(function () { setTimeout(refresh, REFRESH_MS); });
  }

  function send(path, body, done) {
    say('writing…', '');
    fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; });
    }).then(function (res) {
      if (res.status === 200) {
        dirty = false;
        say(done + ' (rules version ' + res.body.version + ')', 'ok');
        return fetch('/api/state', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (s) { state = s; render(); });
      }
      say('Refused: ' + (res.body.message || res.body.error || ('HTTP ' + res.status)), 'error');
    }).catch(function (err) { say('Refused: ' + err.message, 'error'); });
  }

  function rollback(color) {
    send('/api/rollback', { color: color }, 'Rolled back ' + color);
  }

  $('weights').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var weights = {};
    Array.prototype.forEach.call($('weight-inputs').querySelectorAll('input'), function (i) {
      var raw = i.value.trim();
      // Numbers go as numbers; anything else goes as typed, for the console to refuse with a reason.
      weights[i.getAttribute('data-color')] = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    });
    send('/api/split', { weights: weights, version: state ? state.rules.version : undefined }, 'Weights written');
  });
  $('reset').addEventListener('click', function () {
    dirty = false;
    $('weight-inputs').textContent = '';
    if (state) renderSplit();
    say('', '');
  });

  refresh();
`;

/** One function scope, so the parts share helpers and state without globals. */
export const PAGE_SCRIPT = `(function () {\n  'use strict';\n${PAGE_HELPERS}\n${PAGE_LANE_MAP}\n${MAIN}\n})();\n`;
