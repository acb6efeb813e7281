// A loopback HTTP server that answers the two list/watch calls of the kubernetes source the way the
// API server does (JSON lists; watches as a stream of newline-delimited events), from recorded objects.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiObject, WatchEvent } from './discovery-fake-kubernetes.js';

export type Resource = 'endpointslices' | 'pods';

const PATHS: Record<string, Resource> = {
  '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices': 'endpointslices',
  '/api/v1/namespaces/shop/pods': 'pods',
};

export interface SeenRequest {
  readonly resource: Resource;
  readonly watch: boolean;
  readonly query: Readonly<Record<string, string>>;
}

export class FakeApiServer {
  readonly requests: SeenRequest[] = [];
  /** the list each resource answers with */
  readonly lists: Record<Resource, { kind: string; apiVersion: string; metadata: { resourceVersion: string }; items: ApiObject[] }>;
  /** when set, the next requests of that resource get this status (a Status body, as the API server sends) */
  readonly failWith: Partial<Record<Resource, number>> = {};
  private readonly openWatches: Record<Resource, Set<ServerResponse>> = { endpointslices: new Set(), pods: new Set() };
  private readonly waiters: Array<() => void> = [];
  private constructor(
    private readonly server: Server,
    lists: FakeApiServer['lists'],
  ) {
    this.lists = lists;
  }

  static async start(lists: FakeApiServer['lists']): Promise<FakeApiServer> {
    let self: FakeApiServer | undefined;
    const server = createServer((req, res) => self!.handle(req, res));
    self = new FakeApiServer(server, lists);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  /** Options for KubeConfig.loadFromOptions pointing at this server (plain HTTP, no credentials). */
  kubeConfigOptions(): object {
    const { port } = this.server.address() as AddressInfo;
    return {
      clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'tester' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'tester' }],
      currentContext: 'fake',
    };
  }

  /** Sends one event down every open watch of a resource. */
  push(resource: Resource, event: WatchEvent): void {
    for (const res of this.openWatches[resource]) res.write(`${JSON.stringify(event)}\n`);
  }

  /** Ends every open watch of a resource normally, as the server does when its timeoutSeconds is up. */
  endWatches(resource: Resource): void {
    for (const res of this.openWatches[resource]) res.end();
    this.openWatches[resource].clear();
  }

  watching(resource: Resource): number {
    return this.openWatches[resource].size;
  }

  /** Resolves once `condition` holds, re-checking on every request; bounded by timeoutMs. */
  async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; requests: ${JSON.stringify(this.requests)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 20);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    for (const set of Object.values(this.openWatches)) for (const res of set) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const resource = PATHS[url.pathname];
    const watch = url.searchParams.get('watch') === 'true';
    if (resource !== undefined) this.requests.push({ resource, watch, query: Object.fromEntries(url.searchParams) });
    for (const wake of this.waiters.splice(0)) wake();
    if (resource === undefined) return this.status(res, 404, 'NotFound');
    const failure = this.failWith[resource];
    if (failure !== undefined) return this.status(res, failure, 'InternalError');
    if (!watch) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.lists[resource]));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    this.openWatches[resource].add(res);
    res.on('close', () => this.openWatches[resource].delete(res));
  }

  private status(res: ServerResponse, code: number, reason: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: reason, reason, code }));
  }
}
