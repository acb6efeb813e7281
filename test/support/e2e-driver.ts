// The e2e load driver, run inside the client pod's namespace: sends a fixed list of requests with bounded
// concurrency and prints one JSON result per line, so the test (outside the namespaces) can check every one.
import http from 'node:http';
import { pathToFileURL } from 'node:url';

export interface DriverRequest {
  readonly id: number;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface DriverPlan {
  readonly requests: readonly DriverRequest[];
  readonly concurrency: number;
  readonly timeoutMs: number;
}

export interface DriverResult {
  readonly id: number;
  /** 0 when the request failed without an HTTP answer */
  readonly status: number;
  readonly route: string | null;
  readonly body: unknown;
  readonly error?: string;
  readonly ms: number;
}

function send(request: DriverRequest, timeoutMs: number): Promise<DriverResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = (result: Omit<DriverResult, 'id' | 'ms'>): void => resolve({ id: request.id, ms: Math.round(performance.now() - started), ...result });
    const req = http.get(request.url, { headers: request.headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) => finish({ status: 0, route: null, body: null, error: err.message }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = { raw: text };
        }
        const route = res.headers['x-colormesh-route'];
        finish({ status: res.statusCode ?? 0, route: typeof route === 'string' ? route : null, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => finish({ status: 0, route: null, body: null, error: err.message }));
  });
}

async function drive(plan: DriverPlan): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.requests.length) {
      const request = plan.requests[next++] as DriverRequest;
      const result = await send(request, plan.timeoutMs);
      process.stdout.write(JSON.stringify(result) + '\n');
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, plan.concurrency) }, worker));
}

// Only when run as a program; tests import this file for its types.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void drive(JSON.parse(process.argv[2] ?? '{}') as DriverPlan);
}
