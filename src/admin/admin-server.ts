// The admin API, on loopback only (it tells a lot about the mesh and can change the log level):
//   GET  /            this list
//   GET  /config      version, hash and source of the rules in force, last reload error
//   GET  /endpoints   every service's endpoints, grouped by color
//   GET  /explain?service=S&color=C   which endpoints a request would reach, and why
//   GET  /log-level   the current log level;  PUT|POST /log-level?level=L  changes it
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { explainRoute } from '../core/explain.js';
import type { Endpoint } from '../core/types.js';
import type { MeshState } from '../pipeline/state.js';

export interface AdminDeps {
  readonly state: MeshState;
  /** the rule file being watched, or "<embedded>" */
  readonly configSource: string;
  readonly lastReloadError: () => { message: string; at: string } | undefined;
  readonly loadedAt: () => string;
  readonly getLogLevel: () => string;
  readonly setLogLevel: (level: string) => void;
}

const INDEX = ['/config', '/endpoints', '/explain?service=&color=', '/log-level'];

export function createAdminServer(deps: AdminDeps): http.Server {
  return http.createServer((req, res) => {
    try {
      route(deps, req, res);
    } catch (err) {
      json(res, 400, { error: 'bad_request', message: (err as Error).message });
    }
  });
}

function route(deps: AdminDeps, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://admin');
  const method = req.method ?? 'GET';
  switch (url.pathname) {
    case '/':
      return json(res, 200, { endpoints: INDEX });
    case '/config': {
      const rules = deps.state.rules;
      return json(res, 200, {
        version: rules.version,
        hash: rules.hash,
        source: rules.source,
        watching: deps.configSource,
        loadedAt: deps.loadedAt(),
        services: [...rules.services.keys()],
        lastReloadError: deps.lastReloadError() ?? null,
      });
    }
    case '/endpoints':
      return json(res, 200, endpointsView(deps.state));
    case '/explain': {
      const service = url.searchParams.get('service');
      if (!service) return json(res, 400, { error: 'bad_request', message: 'service is required' });
      const color = url.searchParams.get('color') || undefined;
      const rules = deps.state.rules;
      const known = rules.services.has(service);
      return json(res, known ? 200 : 404, explainRoute(rules, service, color, known ? deps.state.registry.sets(service) : undefined));
    }
    case '/log-level':
      if (method === 'GET') return json(res, 200, { level: deps.getLogLevel() });
      if (method === 'PUT' || method === 'POST') {
        const level = url.searchParams.get('level') ?? '';
        deps.setLogLevel(level); // throws on an unknown level → 400
        return json(res, 200, { level: deps.getLogLevel() });
      }
      return json(res, 405, { error: 'method_not_allowed' });
    default:
      return json(res, 404, { error: 'not_found', endpoints: INDEX });
  }
}

function endpointsView(state: MeshState): Record<string, Record<string, unknown[]>> {
  const out: Record<string, Record<string, unknown[]>> = {};
  for (const name of state.rules.services.keys()) {
    const groups: Record<string, unknown[]> = {};
    for (const e of state.registry.sets(name).all) {
      (groups[e.color ?? 'untagged'] ??= []).push(view(e));
    }
    out[name] = groups;
  }
  return out;
}

function view(e: Endpoint): Record<string, unknown> {
  return { address: e.address, color: e.color ?? null, healthy: e.healthy, ejected: e.ejected === true, active: e.active };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
