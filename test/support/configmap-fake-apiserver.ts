// A loopback stand-in for the Kubernetes API's ConfigMap endpoints, answering the way the API server does:
// get, list (with a fieldSelector on the name), watch (newline-delimited events), and replace, which answers
// 409 Conflict when the body's resourceVersion is not the current one. Tests edit the object, push events,
// drop watches and make requests fail, and see every request made.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConfigMapObject {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data: Record<string, string>;
}

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly watch: boolean;
  readonly query: Readonly<Record<string, string>>;
}

export class FakeConfigMapApi {
  readonly requests: SeenRequest[] = [];
  /** the ConfigMap as the server holds it; undefined when deleted */
  object: ConfigMapObject | undefined;
  /** when set, every request gets this status */
  failWith: number | undefined;
  /** runs as a replace arrives, before it is checked: lets a test slip an edit in between a client's read and write */
  beforeReplace: (() => void) | undefined;
  private resourceVersion = 1000;
  private readonly watches = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly namespace: string,
    readonly name: string,
  ) {}

  static async start(namespace: string, name: string, rules: string | undefined): Promise<FakeConfigMapApi> {
    let self: FakeConfigMapApi | undefined;
    const server = createServer((req, res) => self!.handle(req, res));
    self = new FakeConfigMapApi(server, namespace, name);
    if (rules !== undefined) self.object = self.make({ 'rules.yaml': rules, other: 'kept' });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Options for KubeConfig.loadFromOptions pointing at this server (plain HTTP, no credentials). */
  kubeConfigOptions(): object {
    return {
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'tester' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'tester' }],
      currentContext: 'fake',
    };
  }

  /** The same as a kubeconfig file's YAML (JSON is YAML), for a `colormesh` child process via KUBECONFIG. */
  kubeConfigFile(): string {
    const o = this.kubeConfigOptions() as { clusters: unknown[]; users: unknown[]; contexts: unknown[]; currentContext: string };
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'tester', user: {} }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'tester' } }],
      'current-context': o.currentContext,
    });
  }

  /** Someone edits the ConfigMap (kubectl apply): a new resourceVersion and a MODIFIED event on every watch. */
  edit(rules: string): void {
    const data = { ...(this.object?.data ?? {}), 'rules.yaml': rules };
    const type = this.object === undefined ? 'ADDED' : 'MODIFIED';
    this.object = this.make(data);
    this.push(type, this.object);
  }

  delete(): void {
    if (this.object === undefined) return;
    const gone = { ...this.object, metadata: { ...this.object.metadata, resourceVersion: String(++this.resourceVersion) } };
    this.object = undefined;
    this.push('DELETED', gone);
  }

  /** Sends a raw event (e.g. an ERROR Status with code 410) down every open watch. */
  push(type: string, object: unknown): void {
    for (const res of this.watches) res.write(`${JSON.stringify({ type, object })}\n`);
  }

  /** Ends every open watch, as the server does at timeoutSeconds or when a connection drops. */
  dropWatches(): void {
    for (const res of this.watches) res.end();
    this.watches.clear();
  }

  watching(): number {
    return this.watches.size;
  }

  async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; requests: ${JSON.stringify(this.requests.slice(-10))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    for (const res of this.watches) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private make(data: Record<string, string>): ConfigMapObject {
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: this.name, namespace: this.namespace, resourceVersion: String(++this.resourceVersion), labels: { app: 'colormesh' } },
      data,
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const watch = url.searchParams.get('watch') === 'true';
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, watch, query: Object.fromEntries(url.searchParams) });
    if (this.failWith !== undefined) return this.status(res, this.failWith, 'InternalError', 'injected failure');
    const collection = `/api/v1/namespaces/${this.namespace}/configmaps`;
    const item = `${collection}/${this.name}`;
    if (url.pathname === collection && req.method === 'GET') {
      if (watch) {
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders();
        this.watches.add(res);
        res.on('close', () => this.watches.delete(res));
        return;
      }
      const wanted = url.searchParams.get('fieldSelector');
      const items = this.object !== undefined && (wanted === null || wanted === `metadata.name=${this.name}`) ? [this.object] : [];
      return this.json(res, 200, { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: String(this.resourceVersion) }, items });
    }
    if (url.pathname === item && req.method === 'GET') {
      if (this.object === undefined) return this.status(res, 404, 'NotFound', `configmaps "${this.name}" not found`);
      return this.json(res, 200, this.object);
    }
    if (url.pathname === item && req.method === 'PUT') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const sent = JSON.parse(body) as ConfigMapObject;
        this.beforeReplace?.();
        if (this.object === undefined) return this.status(res, 404, 'NotFound', `configmaps "${this.name}" not found`);
        if (sent.metadata.resourceVersion !== this.object.metadata.resourceVersion) {
          return this.status(res, 409, 'Conflict', `Operation cannot be fulfilled on configmaps "${this.name}": the object has been modified; please apply your changes to the latest version and try again`);
        }
        this.object = { ...sent, metadata: { ...sent.metadata, resourceVersion: String(++this.resourceVersion) } };
        this.push('MODIFIED', this.object);
        this.json(res, 200, this.object);
      });
      return;
    }
    this.status(res, 404, 'NotFound', 'not found');
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    this.json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  }
}
