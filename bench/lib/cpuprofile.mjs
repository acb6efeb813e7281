// Reads a V8 .cpuprofile (from node --cpu-prof) and says where the time went: self time per function,
// per package/file, and inclusive time per colormesh function, plus folded stacks for a flame graph.
// Pure: profile object in, plain data out.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Where a frame's code lives: a colormesh file, an npm package, Node itself, or V8's pseudo-frames. */
export function categorize(url, functionName) {
  if (!url) {
    if (functionName === '(garbage collector)') return 'gc';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'program (native, not attributed)';
    return 'native';
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (path.startsWith(REPO)) return `colormesh:${relative(REPO, path).replace(/^dist\//, '')}`;
  return path;
}

function frameLabel(node) {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${categorize(url, functionName).replace(/^colormesh:/, '')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

/**
 * Summarises a profile. Self time comes from the sample counts (each sample is one tick of the
 * sampling interval); inclusive time adds a node's descendants, counted once per stack even under
 * recursion.
 */
export function summarizeProfile(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const totalSamples = profile.samples.length;
  const durationMs = (profile.endTime - profile.startTime) / 1000;
  const msPerSample = totalSamples ? durationMs / totalSamples : 0;

  const selfByFunction = new Map();
  const selfByCategory = new Map();
  const inclusive = new Map();
  const folded = new Map();
  let idle = 0;
  for (const [id, count] of hits) {
    const node = byId.get(id);
    const label = frameLabel(node);
    const category = categorize(node.callFrame.url, node.callFrame.functionName);
    if (category === 'idle') { idle += count; continue; }
    selfByFunction.set(label, (selfByFunction.get(label) ?? 0) + count);
    selfByCategory.set(category, (selfByCategory.get(category) ?? 0) + count);
    const stack = [];
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      const l = frameLabel(frame);
      if (frame.callFrame.functionName !== '(root)') stack.push(l);
      if (!seen.has(l)) {
        seen.add(l);
        inclusive.set(l, (inclusive.get(l) ?? 0) + count);
      }
    }
    const key = stack.reverse().join(';');
    folded.set(key, (folded.get(key) ?? 0) + count);
  }
  const busy = totalSamples - idle;
  const rank = (map, filter = () => true) =>
    [...map].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, top)
      .map(([name, count]) => ({ name, ms: count * msPerSample, pctOfBusy: busy ? (100 * count) / busy : 0 }));
  return {
    durationMs,
    busyMs: busy * msPerSample,
    idlePct: totalSamples ? (100 * idle) / totalSamples : 0,
    selfByCategory: rank(selfByCategory),
    selfByFunction: rank(selfByFunction),
    // inclusive time of colormesh's own functions: what each step of the request path costs overall
    inclusiveColormesh: rank(inclusive, (l) => / (src|test)\//.test(l) && !l.includes('node_modules')),
    folded: [...folded].map(([stack, count]) => `${stack} ${count}`).join('\n'),
  };
}

/** Text report of a summary, as pasted into docs/performance.md. */
export function renderProfile(summary, title) {
  const fmt = (rows) => rows.map((r) => `  ${r.pctOfBusy.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(6)} ms  ${r.name}`).join('\n');
  return [
    `${title}: ${(summary.durationMs / 1000).toFixed(1)} s profiled, ${(100 - summary.idlePct).toFixed(0)}% busy`,
    'self time by package/file (% of busy time):', fmt(summary.selfByCategory),
    'self time by function:', fmt(summary.selfByFunction),
    'inclusive time of colormesh functions:', fmt(summary.inclusiveColormesh),
  ].join('\n');
}
