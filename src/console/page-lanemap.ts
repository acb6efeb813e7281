// The page script's lane map: one row per service, one cell per lane, and an arrow for every fallback,
// from the lane the requests belong to towards the lane that served them. Shipped inline as text
// (see page-script.ts); uses PAGE_HELPERS and the page's state.
export const PAGE_LANE_MAP = String.raw`
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
        var has = cell.rps > 0 || cell.noEndpointRps > 0 || cell.servedForOthersRps > 0 || cell.endpoints.healthy || cell.endpoints.configured || cell.endpoints.ejected;
        var children = [endpointsText(cell.endpoints, c)];
        if (cell.rps > 0) {
          children.push(el('div', { className: 'rps', 'data-rps': '' }, [fmtRate(cell.rps) + ' req/s']));
          children.push(el('div', {}, [
            el('span', { className: cell.errorRate > 0.01 ? 'bad' : '', 'data-errors': '', text: '5xx ' + fmtPct(cell.errorRate) }),
            '  ·  p99 ', el('span', { 'data-p99': '', text: fmtMs(cell.p99Ms) })]));
        } else if (has) {
          // No requests of this color here: say so quietly, so the lanes with traffic stand out.
          children.push(el('div', { className: 'muted', 'data-rps': '', text: '0 req/s of ' + laneName(c) + ' requests' }));
        }
        if (cell.noEndpointRps > 0) children.push(el('div', { className: 'bad', 'data-no-endpoint': '', text: '503 no endpoint: ' + fmtRate(cell.noEndpointRps) + ' req/s' }));
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

`;
