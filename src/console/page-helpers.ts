// The page script's shared part, shipped inline as text (see page-script.ts): the page's state, lane
// colors, DOM building and number formats. Plain browser JavaScript, no backticks.
export const PAGE_HELPERS = String.raw`
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

`;
