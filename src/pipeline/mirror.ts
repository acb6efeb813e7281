// Shadow traffic (SPEC 8) as a policy step: a sampled copy of a routed request goes to an endpoint
// of the mirror color, marked `color=<c>;shadow`; its answer is read and thrown away. The original
// never waits for it and never sees it fail; copies in flight are capped per service.
import { pickEndpoint } from '../core/balancer.js';
import { writeBaggageColor } from '../core/baggage.js';
import type { Endpoint, Mirror } from '../core/types.js';
import type { EndpointRegistry } from '../discovery/registry.js';
import { channels, publish, type MirrorEvent } from '../events.js';
import type { HttpUpstream, ResponseSink, UpstreamCall, UpstreamFailure } from '../upstream/upstream.js';
import { hasBody } from './body-replay.js';
import type { DeadlineSweep, HasDeadline } from './deadlines.js';
import type { Exchange } from './exchange.js';
import { hopsOf, outgoingRequestHeaders } from './headers.js';
import type { PolicyStep } from './policy.js';

export interface MirroringDeps {
  readonly registry: EndpointRegistry;
  readonly upstream: HttpUpstream;
  readonly deadlines: DeadlineSweep;
  readonly random: () => number;
}

export class Mirroring implements PolicyStep {
  /** copies in flight, per service */
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly deps: MirroringDeps) {}

  beforeAttempts(ex: Exchange): void {
    const rule = ex.rule!;
    const mirror = rule.mirror;
    // A shadow copy is never mirrored again; a request already routed to the mirror color needs no copy.
    if (mirror === undefined || ex.shadow || ex.direction === 'inbound') return;
    const sets = this.deps.registry.sets(rule.name);
    const target = sets.byColor.get(mirror.color);
    if (target !== undefined && ex.set === target) return;
    if (mirror.percent < 100 && this.deps.random() * 100 >= mirror.percent) return;
    if (target === undefined) return this.count(rule.name, mirror, 'no_endpoint');
    const length = contentLength(ex);
    if (length > mirror.maxBodyBytes) return this.count(rule.name, mirror, 'body_too_large');
    const busy = this.inFlight.get(rule.name) ?? 0;
    if (busy >= mirror.maxInFlight) return this.count(rule.name, mirror, 'overload');
    const endpoint = pickEndpoint(target, rule.loadBalancer, this.deps.random);
    if (endpoint === undefined) return this.count(rule.name, mirror, 'no_endpoint');
    ex.mirrored = true;
    this.inFlight.set(rule.name, busy + 1);
    const copy = new MirrorCopy(this, ex, mirror, endpoint, rule.timeoutMs);
    if (hasBody(ex.req)) copy.collectBody();
    // After the original has been handed to the upstream: the copy never goes first.
    else setImmediate(() => copy.send(null));
  }

  /** A copy ended, whatever happened to it: free its slot and count it. */
  done(service: string, mirror: Mirror, result: MirrorEvent['result']): void {
    this.inFlight.set(service, (this.inFlight.get(service) ?? 1) - 1);
    this.count(service, mirror, result);
  }

  get upstream(): HttpUpstream {
    return this.deps.upstream;
  }

  get deadlines(): DeadlineSweep {
    return this.deps.deadlines;
  }

  private count(service: string, mirror: Mirror, result: MirrorEvent['result']): void {
    publish<MirrorEvent>(channels.mirror, { service, color: mirror.color, result });
  }
}

/** -1 for a chunked body of unknown length; 0 for none. */
function contentLength(ex: Exchange): number {
  const len = ex.req.headers['content-length'];
  if (len !== undefined) return Number(len) || 0;
  return ex.req.headers['transfer-encoding'] !== undefined ? -1 : 0;
}

/** One copy: its request, and a sink that reads the answer and drops it. */
class MirrorCopy implements ResponseSink, HasDeadline {
  deadline = 0;
  private call: UpstreamCall | undefined;
  private chunks: Buffer[] | undefined;
  private bytes = 0;
  private ended = false;
  private readonly headers: string[];

  constructor(
    private readonly owner: Mirroring,
    private readonly ex: Exchange,
    private readonly mirror: Mirror,
    private readonly endpoint: Endpoint,
    private readonly timeoutMs: number,
  ) {
    const req = ex.req;
    // Same method, path and headers as the original; the color member says green;shadow.
    const baggage = writeBaggageColor(req.headers.baggage, ex.rules.baggageKey, mirror.color, true);
    this.headers = outgoingRequestHeaders(req, hopsOf(req) + 1, baggage);
  }

  /** Keeps a copy of the body as the original streams it; sends once it is complete. */
  collectBody(): void {
    const req = this.ex.req;
    this.chunks = [];
    const onData = (chunk: Buffer): void => {
      if (this.chunks === undefined) return;
      this.bytes += chunk.length;
      if (this.bytes > this.mirror.maxBodyBytes) {
        this.chunks = undefined;
        req.off('data', onData);
        this.finish('body_too_large');
        return;
      }
      this.chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (this.chunks !== undefined) this.send(Buffer.concat(this.chunks));
    });
    req.once('close', () => {
      if (!req.complete && this.chunks !== undefined) this.finish('error');
    });
  }

  send(body: Buffer | null): void {
    if (this.ended) return;
    const req = this.ex.req;
    this.owner.deadlines.start(this, this.timeoutMs);
    this.call = this.owner.upstream.send(this.endpoint, { method: req.method ?? 'GET', path: req.url ?? '/', headers: this.headers, body }, this);
  }

  onDeadline(): void {
    this.call?.abort('timeout');
  }

  onRequestSent(): void {}

  onResponseStart(): boolean {
    return true;
  }

  onResponseData(): boolean {
    return true;
  }

  onResponseEnd(): void {
    this.finish('ok');
  }

  onFailure(_f: UpstreamFailure): void {
    this.finish('error');
  }

  private finish(result: MirrorEvent['result']): void {
    if (this.ended) return;
    this.ended = true;
    this.owner.deadlines.stop(this);
    this.owner.done(this.ex.rule!.name, this.mirror, result);
  }
}
