// Open-loop load generator: sends requests on a fixed timeline (e.g. one every 1 ms) and measures each
// latency from the request's INTENDED send time, not from when it actually went out. That is the
// coordinated-omission correction wrk2 makes: a stall in the system under test delays later requests,
// and that delay is counted as latency instead of silently thinning out the samples.
// Run as a child process (pinned to the load CPU); prints one JSON line with the result.
// usage: node constant-rate.mjs '{"port":N,"host":"h:p","headers":[["k","v"]],"rate":1000,"durationS":10,"warmupS":1,"connections":8,"traceparent":false}'
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { summarize } from './stats.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
const { port, rate = 1000, durationS = 10, warmupS = 1, connections = 8, path = '/' } = opts;
const host = opts.host ?? `127.0.0.1:${port}`;
const headerLines = (opts.headers ?? []).map(([k, v]) => `${k}: ${v}\r\n`).join('');
const HEAD = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${headerLines}`;
const REQUEST = Buffer.from(`${HEAD}\r\n`, 'latin1');

/** With `"traceparent": true` every request carries a fresh random trace id, as production traffic does. */
function requestBytes() {
  if (opts.traceparent !== true) return REQUEST;
  return Buffer.from(`${HEAD}traceparent: 00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01\r\n\r\n`, 'latin1');
}

const intervalNs = 1e9 / rate;
const total = Math.round(rate * (warmupS + durationS));
const warmupCount = Math.round(rate * warmupS);
/** latency from intended send time (corrected) and from actual send time (service time), in us */
const corrected = new Float64Array(total);
const service = new Float64Array(total);
const lateness = new Float64Array(total);
/** 1 once a request has its latency recorded (answered, or failed on a closed connection) */
const recorded = new Uint8Array(total);
let completed = 0;
let non2xx = 0;
let errors = 0;
let maxQueue = 0;

/** Sleeping without the event loop: nothing is in flight then, so no I/O can be missed. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const nowNs = () => Number(process.hrtime.bigint());

const pending = []; // indexes of requests due but not yet sent (all connections busy)
const idle = [];
let inFlight = 0;

function makeConnection() {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  const conn = { socket, index: -1, sentAt: 0, buf: null };
  socket.on('connect', () => { idle.push(conn); });
  socket.on('data', (chunk) => onData(conn, chunk));
  socket.on('error', () => {});
  socket.on('close', () => {
    if (conn.index >= 0) { errors++; finish(conn, false); }
    const at = idle.indexOf(conn);
    if (at >= 0) idle.splice(at, 1);
    // keep the pool full (a proxy may close connections), without a tight loop if it refuses them
    if (!done) setTimeout(makeConnection, 10);
  });
}

/** Minimal HTTP/1.1 response framing: Content-Length bodies, and chunked ones up to the last chunk. */
function onData(conn, chunk) {
  conn.buf = conn.buf ? Buffer.concat([conn.buf, chunk]) : chunk;
  const headEnd = conn.buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return;
  const head = conn.buf.toString('latin1', 0, headEnd);
  const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  let complete;
  if (lengthMatch) complete = conn.buf.length >= headEnd + 4 + Number(lengthMatch[1]);
  else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) complete = conn.buf.indexOf('\r\n0\r\n\r\n', headEnd) >= 0;
  else complete = true;
  if (!complete) return;
  const status = Number(head.slice(9, 12));
  if (status < 200 || status > 299) non2xx++;
  conn.buf = null;
  finish(conn, true);
}

function finish(conn, ok) {
  const end = nowNs();
  const i = conn.index;
  conn.index = -1;
  inFlight--;
  if (i >= warmupCount) {
    corrected[i] = (end - intendedNs(i)) / 1000;
    service[i] = (end - conn.sentAt) / 1000;
    recorded[i] = 1;
  }
  if (ok) completed++;
  if (!conn.socket.destroyed) {
    if (pending.length > 0) send(conn, pending.shift());
    else idle.push(conn);
  }
}

function send(conn, index) {
  const bytes = requestBytes();
  conn.index = index;
  conn.sentAt = nowNs();
  lateness[index] = (conn.sentAt - intendedNs(index)) / 1000;
  inFlight++;
  conn.socket.write(bytes);
}

let startNs = 0;
let next = 0;
let done = false;
const intendedNs = (i) => startNs + i * intervalNs;

function tick() {
  const now = nowNs();
  while (next < total && intendedNs(next) <= now) {
    const conn = idle.pop();
    if (conn) send(conn, next);
    else pending.push(next);
    next++;
  }
  if (pending.length > maxQueue) maxQueue = pending.length;
  if (next >= total && inFlight === 0 && pending.length === 0) return finishRun();
  if (nowNs() > deadlineNs) return finishRun();
  if (inFlight === 0 && pending.length === 0 && next < total) {
    // Idle until the next send: block the thread for most of the gap (cheap), then spin the last
    // 200 us through setImmediate, because libuv timers have 1 ms resolution.
    const waitMs = (intendedNs(next) - nowNs()) / 1e6 - 0.2;
    if (waitMs > 0) Atomics.wait(sleeper, 0, 0, waitMs);
  }
  setImmediate(tick);
}

let deadlineNs = 0;
function finishRun() {
  done = true;
  const measured = Math.max(0, Math.min(next, total) - warmupCount);
  // requests never answered by the deadline count as errors with their latency so far (not as 0)
  const unanswered = total - completed - errors;
  const end = nowNs();
  for (let i = warmupCount; i < next; i++) {
    if (recorded[i] === 0) corrected[i] = service[i] = (end - intendedNs(i)) / 1000;
  }
  const result = {
    rate, durationS, warmupS, connections,
    sent: measured,
    completed: Math.max(0, completed - warmupCount),
    completedWithWarmup: completed,
    non2xx, errors: errors + Math.max(0, unanswered), maxQueue,
    latencyUs: summarize(corrected.subarray(warmupCount, next)),
    serviceTimeUs: summarize(service.subarray(warmupCount, next)),
    sendLatenessUs: summarize(lateness.subarray(warmupCount, next)),
  };
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
}

for (let c = 0; c < connections; c++) makeConnection();
// give the pool a moment to connect, then start the timeline
setTimeout(() => {
  startNs = nowNs();
  deadlineNs = startNs + (warmupS + durationS + 10) * 1e9;
  tick();
}, 200);
