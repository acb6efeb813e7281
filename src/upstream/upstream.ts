// The seam between the pipeline and the wire: what an upstream implementation must do. HTTP/1.1
// (undici) is the one implementation today; an HTTP/2 one is meant to slot in beside it.
import type { Readable } from 'node:stream';

/** Kinds of upstream failure, as retries, ejection, metrics and spans see them. */
export type UpstreamErrorKind = 'connect' | 'timeout' | 'reset';

export interface Target {
  readonly host: string;
  readonly port: number;
}

/** A request ready to leave: origin-form path, hop-by-hop headers already gone. */
export interface OutgoingRequest {
  readonly method: string;
  readonly path: string;
  /** flat [name, value, name, value, …] */
  readonly headers: string[];
  readonly body: Readable | Buffer | null;
}

/** How an attempt failed, as much as the upstream can tell. */
export interface UpstreamFailure {
  readonly kind: UpstreamErrorKind;
  /** the connection reached this sidecar's own listener: a loop, refused before anything was sent */
  readonly loop: boolean;
  /**
   * It failed on a pooled keep-alive connection the target had just closed, before any response:
   * the request never reached the app, so sending it again on a new connection is safe.
   */
  readonly stale: boolean;
  readonly responseStarted: boolean;
  readonly message: string;
}

/**
 * What receives one attempt's outcome. Exactly one of onResponseEnd / onFailure ends it; a sink may
 * return false from onResponseStart/onResponseData to pause, then call `resume`.
 */
export interface ResponseSink {
  /** the whole request, body included, has been written to the upstream */
  onRequestSent(): void;
  /** `headers` flat [name, value, …] as received (hop-by-hop not yet removed) */
  onResponseStart(status: number, headers: readonly Buffer[], resume: () => void): boolean;
  onResponseData(chunk: Buffer): boolean;
  onResponseEnd(): void;
  onFailure(failure: UpstreamFailure): void;
}

/** A running attempt; abort ends it with a failure of the given kind (unless it already ended). */
export interface UpstreamCall {
  abort(kind: UpstreamErrorKind): void;
}

export interface HttpUpstream {
  send(target: Target, request: OutgoingRequest, sink: ResponseSink): UpstreamCall;
  close(): Promise<void>;
}
