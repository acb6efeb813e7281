// An "unmodified app" for the e2e cluster: knows nothing of the mesh, answers with its identity and, when it has a
// next hop, calls it with a plain client (Node http, curl or Python urllib) and nests the answer in its own.
//
// Environment: POD, SERVICE, PORT (8080), NEXT (a URL, optional), FORWARD (baggage | traceparent | none: which
// incoming headers the app copies onto its call), CLIENT (node | curl | python), DELAY_MS (answer this late).
import { execFile } from 'node:child_process';
import http from 'node:http';

const POD = process.env['POD'] ?? 'unknown';
const PORT = Number(process.env['PORT'] ?? 8080);
const NEXT = process.env['NEXT'] ?? '';
const FORWARD = process.env['FORWARD'] ?? 'baggage';
const CLIENT = process.env['CLIENT'] ?? 'node';
const DELAY_MS = Number(process.env['DELAY_MS'] ?? 0);

interface Answer {
  status: number;
  /** the x-colormesh-route header, when a sidecar answered or proxied */
  route: string | undefined;
  body: string;
}

/** Python's urllib as a stock app would use it: honours HTTP_PROXY when set, nothing else. */
const PYTHON_CLIENT = `
import json, sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], headers=json.loads(sys.argv[2]))
try:
    r = urllib.request.urlopen(req, timeout=20)
    status, headers, body = r.status, r.headers, r.read()
except urllib.error.HTTPError as e:
    status, headers, body = e.code, e.headers, e.read()
print(json.dumps({"status": status, "route": headers.get("x-colormesh-route"), "body": body.decode()}))
`;

function callWithNode(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // agent: false: one connection per call, so tests can count redirected connections exactly.
    const req = http.get(url, { headers, agent: false, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const route = res.headers['x-colormesh-route'];
        resolve({ status: res.statusCode ?? 0, route: typeof route === 'string' ? route : undefined, body: Buffer.concat(chunks).toString() });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function callWithCurl(url: string, headers: Record<string, string>): Promise<Answer> {
  const args = ['-sS', '-i', '--max-time', '20'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    execFile('curl', args, { encoding: 'utf8' }, (err, stdout) => {
      if (err) return reject(err);
      // With a proxy, curl may print more than one header block (e.g. a 100 Continue); the last one is the answer.
      const split = stdout.lastIndexOf('\r\n\r\n');
      const head = stdout.slice(0, split);
      const status = Number([...head.matchAll(/^HTTP\/[\d.]+ (\d{3})/gm)].at(-1)?.[1] ?? 0);
      const route = /^x-colormesh-route:\s*(.*?)\r?$/im.exec(head)?.[1];
      resolve({ status, route, body: stdout.slice(split + 4) });
    });
  });
}

function callWithPython(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', PYTHON_CLIENT, url, JSON.stringify(headers)], { encoding: 'utf8' }, (err, stdout) => {
      if (err) return reject(err);
      const parsed = JSON.parse(stdout) as { status: number; route: string | null; body: string };
      resolve({ status: parsed.status, route: parsed.route ?? undefined, body: parsed.body });
    });
  });
}

const CALLERS: Record<string, (url: string, headers: Record<string, string>) => Promise<Answer>> = {
  node: callWithNode,
  curl: callWithCurl,
  python: callWithPython,
};

function forwardedHeaders(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  const wanted = FORWARD === 'baggage' ? 'baggage' : FORWARD === 'traceparent' ? 'traceparent' : undefined;
  const value = wanted === undefined ? undefined : req.headers[wanted];
  if (wanted !== undefined && typeof value === 'string') headers[wanted] = value;
  return headers;
}

const server = http.createServer((req, res) => {
  void (async () => {
    // What this hop saw, so a test can tell where the color came from.
    const seen = { pod: POD, baggage: req.headers.baggage ?? null };
    // Lets a test wait until a burst is really in flight here before it acts.
    if (process.env['LOG_ARRIVALS'] === '1') process.stdout.write('arrived\n');
    if (DELAY_MS > 0) await new Promise((r) => setTimeout(r, DELAY_MS));
    let status = 200;
    let body: Record<string, unknown> = seen;
    if (NEXT !== '') {
      try {
        const answer = await (CALLERS[CLIENT] ?? callWithNode)(NEXT, forwardedHeaders(req));
        status = answer.status;
        let next: unknown;
        try {
          next = JSON.parse(answer.body);
        } catch {
          next = { raw: answer.body };
        }
        body = { ...seen, next, ...(answer.status === 200 ? {} : { nextStatus: answer.status, nextRoute: answer.route ?? null }) };
      } catch (err) {
        status = 599;
        body = { ...seen, nextStatus: 599, nextError: (err as Error).message };
      }
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  })();
});

server.listen(PORT, '0.0.0.0', () => process.stdout.write(`app ${POD} listening on ${PORT}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
