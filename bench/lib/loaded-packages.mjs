// Preloaded with `node --import` into a sidecar by bench/module-cost.mjs: records every npm package
// the process loads (ESM through a resolve hook, CommonJS from require.cache) and, at exit, writes
// their names to the file named by COLORMESH_BENCH_LOADED_FILE.
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { writeFileSync } from 'node:fs';

const seen = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => seen.add(url));
port1.unref();

// The hooks run on their own thread; each resolved URL comes back over the port.
const hooks = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  port.postMessage(result.url);
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { port: port2 }, transferList: [port2] });

/** "@scope/name" or "name" of a file under node_modules, the innermost package. */
export function packageOf(file) {
  const at = file.lastIndexOf('/node_modules/');
  if (at < 0) return undefined;
  const parts = file.slice(at + '/node_modules/'.length).split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

process.on('exit', () => {
  const files = [...seen, ...Object.keys(createRequire(import.meta.url).cache)];
  const packages = new Set(files.map((f) => packageOf(decodeURIComponent(f))).filter(Boolean));
  if (process.env.COLORMESH_BENCH_LOADED_FILE) writeFileSync(process.env.COLORMESH_BENCH_LOADED_FILE, JSON.stringify([...packages].sort()));
});
