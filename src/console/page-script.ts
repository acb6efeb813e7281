// The page's script, shipped inline as text: polls /api/state, draws the split, the rollout and the
// lane map, and sends weight changes and rollbacks. Plain browser JavaScript (no build step, no
// backticks), so what runs is exactly what is read here.
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var REFRESH_MS = 1000;
  var NONE = '-';
  var NAMED = { blue: '#1e6fd9', green: '#2e9d4a', red: '#d23c3c', yellow: '#c9a400', orange: '#e07b00', purple: '#8647c7',
    pink: '#d04c93', teal: '#138f8f', cyan: '#0f97b3', gray: '#6b7480', grey: '#6b7480', black: '#30343b', brown: '#8a5a36',
    canary: '#c9a400', stable: '#1e6fd9', gold: '#b8860b', violet: '#7b4fd6', indigo: '#4b4fc2', magenta: '#c0399b' };
  var state = null;
  var dirty = false;
  var $ = function (id) { return document.getElementById(id); };

  function laneColor(c) {
    if (c === NONE) return '#7d8794';
    if (NAMED[c]) return NAMED[c];
    var h = 0;
    for (var i = 0; i < c.length; i++) h = (h * 31 + c.charCodeAt(i)) % 360;
    return 'hsl(' + h + ',55%,42%)';
  }
  function laneTint(c) {
    var col = laneColor(c);
    return col.charAt(0) === '#' ? col + '14' : col.replace('hsl(', 'hsla(').replace(')', ',0.08)');
  }
  function laneName(c) { return c === NONE ? 'untagged' : c; }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'style') e.setAttribute('style', attrs[k]);
      else if (k.indexOf('data-') === 0 || k === 'role' || k === 'title' || k === 'type' || k === 'id' || k.indexOf('aria-') === 0) e.setAttribute(k, attrs[k]);
      else e[k] = attrs[k];
    }
    (children || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function fmtRate(r) { return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2); }
  function fmtMs(ms) { return ms == null ? '–' : ms >= 100 ? ms.toFixed(0) + ' ms' : ms >= 10 ? ms.toFixed(1) + ' ms' : ms.toFixed(2) + ' ms'; }
  function fmtPct(x) { return x == null ? '–' : (x * 100).toFixed(x >= 0.1 ? 0 : 1) + ' %'; }

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

  function endpointsText(e, lane) {
    var parts = [];
    var up = e.healthy || 0;
    if (up === 0 && !e.ejected && !e.unhealthy) {
      if (!e.configured) return el('div', { className: 'muted', 'data-endpoints': '0', text: 'no ' + laneName(lane) + ' endpoints' });
      up = e.configured;
    }
    parts.push(el('span', { text: up + ' healthy' }));
    if (e.ejected) { parts.push(' · '); parts.push(el('span', { className: 'bad', text: e.ejected + ' ejected' })); }
    if (e.unhealthy) { parts.push(' · '); parts.push(el('span', { className: 'warn', text: e.unhealthy + ' not ready' })); }
    return el('div', { 'data-endpoints': String(up) }, parts);
  }

  function renderLanes() {
    var map = $('lanemap');
    map.textContent = '';
    var lanes = state.lanes;
    var cols = 'grid-template-columns:repeat(' + Math.max(lanes.length, 1) + ',minmax(0,1fr))';
    var head = el('div', { className: 'lanehead' }, [el('div', {}), el('div', { className: 'lanes', style: cols },
      lanes.map(function (c) {
        var w = state.split && state.split.weights[c] != null ? ' · split ' + state.split.weights[c] : '';
        return el('div', { 'data-lane-head': c, style: 'background:' + laneColor(c), text: laneName(c) + ' lane' + w });
      }))]);
    map.appendChild(head);
    state.services.forEach(function (svc) {
      var tags = [];
      if (svc.entrypoint) tags.push('entry point');
      if (svc.force) tags.push('force');
      if (svc.defaultColor) tags.push('default ' + svc.defaultColor);
      if (svc.mirror) tags.push('mirror \u2192 ' + svc.mirror.color + ' ' + svc.mirror.percent + ' %');
      var label = el('div', { className: 'svc' }, [svc.name, tags.length ? el('small', { text: tags.join(' · ') }) : null]);
      var grid = el('div', { className: 'lanes', style: cols });
      var arrows = [];
      svc.cells.forEach(function (cell, i) {
        var c = cell.color;
        var has = cell.rps > 0 || cell.servedForOthersRps > 0 || cell.endpoints.healthy || cell.endpoints.configured || cell.endpoints.ejected;
        var children = [endpointsText(cell.endpoints, c)];
        if (cell.rps > 0 || has) {
          children.push(el('div', { className: 'rps', 'data-rps': '' }, [fmtRate(cell.rps) + ' req/s']));
          children.push(el('div', {}, [
            el('span', { className: cell.errorRate > 0.01 ? 'bad' : '', 'data-errors': '', text: '5xx ' + fmtPct(cell.errorRate) }),
            '  ·  p99 ', el('span', { 'data-p99': '', text: fmtMs(cell.p99Ms) })]));
        }
        if (cell.servedForOthersRps > 0) children.push(el('div', { className: 'muted', 'data-served-others': '', text: 'serves ' + fmtRate(cell.servedForOthersRps) + ' req/s of other lanes' }));
        if (cell.mirroredRps > 0) children.push(el('div', { className: 'muted', text: 'mirrored in: ' + fmtRate(cell.mirroredRps) + '/s' }));
        var fell = 0;
        cell.fallback.forEach(function (f) { fell += f.rps; });
        if (fell > 0) children.push(el('div', { className: 'warn', text: 'fell back: ' + fmtRate(fell) + '/s' + (cell.rps > 0 ? ' (' + fmtPct(Math.min(1, fell / cell.rps)) + ')' : '') }));
        grid.appendChild(el('div', { className: 'cell' + (has ? '' : ' empty'), 'data-service': svc.name, 'data-lane': c,
          style: 'border-left-color:' + laneColor(c) + ';background:' + laneTint(c) }, children));
        cell.fallback.forEach(function (f) {
          var j = lanes.indexOf(f.to);
          if (j >= 0 && j !== i) arrows.push({ from: i, to: j, f: f, color: c });
        });
      });
      var layer = el('div', { className: 'arrows', style: 'height:' + (arrows.length ? arrows.length * 30 + 6 : 0) + 'px' });
      arrows.forEach(function (a, k) {
        var n = lanes.length, lo = Math.min(a.from, a.to), hi = Math.max(a.from, a.to);
        var dir = a.to > a.from ? 'right' : 'left';
        var col = laneColor(a.color);
        layer.appendChild(el('div', { className: 'arrow ' + dir, 'data-fallback-from': laneName(a.color), 'data-fallback-to': laneName(a.f.to), 'data-service': svc.name,
          title: laneName(a.color) + ' requests routed to ' + laneName(a.f.to) + ' (via ' + a.f.via + ')',
          style: 'left:' + ((lo + 0.5) / n * 100) + '%;width:' + ((hi - lo) / n * 100) + '%;top:' + (k * 30 + 14) + 'px' }, [
          el('div', { className: 'shaft', style: 'background:' + col }),
          el('div', { className: 'head', style: 'border-left-color:' + col + ';border-right-color:' + col }),
          el('span', { className: 'label', style: 'color:' + col, text: laneName(a.color) + ' \u2192 ' + laneName(a.f.to) + ': ' + fmtRate(a.f.rps) + ' req/s fell back' + (a.f.via === 'other' ? '' : ' (via ' + a.f.via + ')') })]));
      });
      var lanesBox = el('div', {}, [grid, layer]);
      map.appendChild(el('div', { className: 'lanerow', 'data-row': svc.name }, [label, lanesBox]));
    });
    if (!state.services.length) map.appendChild(el('div', { className: 'muted', text: 'The rules name no services.' }));
  }

  function renderMirrors() {
    var body = $('mirror-body');
    body.textContent = '';
    var mirrored = state.services.filter(function (s) { return s.mirror; });
    if (!mirrored.length) { body.className = 'muted'; body.textContent = 'No service mirrors its traffic.'; return; }
    body.className = '';
    mirrored.forEach(function (s) {
      body.appendChild(el('div', { 'data-mirror': s.name }, [el('strong', { text: s.name }),
        ': a copy of ' + s.mirror.percent + ' % of its requests goes to the ',
        el('span', { className: 'swatch', style: 'background:' + laneColor(s.mirror.color) }), s.mirror.color + ' lane (answers discarded)']));
    });
  }

  function renderSources() {
    $('source').textContent = 'rules: ' + state.rules.source + (state.rules.version ? ' · version ' + state.rules.version : '') +
      ' · metrics: ' + state.metrics.source;
    var t = $('targets');
    t.textContent = '';
    if (state.rules.error) t.appendChild(el('div', { className: 'bad', text: 'rules: ' + state.rules.error }));
    var ok = state.metrics.targets.filter(function (x) { return x.ok; }).length;
    t.appendChild(el('div', { text: ok + ' of ' + state.metrics.targets.length + ' metrics sources answered' }));
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
})();
`;
