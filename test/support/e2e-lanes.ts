// Builds e2e request lists and checks where each request landed at every hop, printing the lane-integrity figure.
import { randomBytes } from 'node:crypto';
import type { DriverRequest, DriverResult } from './e2e-driver.js';

export type Lane = 'blue' | 'green' | 'none';

/** What one request is expected to traverse: the pods in order, and the error that ends it, if any. */
export interface Expectation {
  readonly pods: readonly string[];
  /** status the client must see (200 unless a hop answers an error) */
  readonly status?: number;
  /** the x-colormesh-route header of the failing hop's answer */
  readonly failedRoute?: string;
  /** the `error` code in the sidecar's JSON answer at the failing hop (SPEC 7) */
  readonly failedError?: string;
}

interface HopBody {
  pod?: string;
  next?: HopBody;
  nextStatus?: number;
  nextRoute?: string | null;
  error?: string;
}

/** The pods a chain answer went through, and the status/route at which it stopped, if it did. */
export function hopsOf(body: unknown): { pods: string[]; failedStatus?: number; failedRoute?: string | null; failedError?: string } {
  const pods: string[] = [];
  let node = body as HopBody | undefined;
  let failedStatus: number | undefined;
  let failedRoute: string | null | undefined;
  let failedError: string | undefined;
  for (let depth = 0; node !== undefined && depth < 16; depth++) {
    if (node.pod !== undefined) pods.push(node.pod);
    if (node.error !== undefined) failedError = node.error;
    if (node.nextStatus !== undefined) {
      failedStatus = node.nextStatus;
      failedRoute = node.nextRoute;
    }
    node = node.next;
  }
  return { pods, ...(failedStatus !== undefined ? { failedStatus, failedRoute } : {}), ...(failedError !== undefined ? { failedError } : {}) };
}

/** A W3C traceparent with a fresh trace id, as an instrumented client at the edge would send. */
export function freshTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/** `perLane` requests for each lane, interleaved, all to `url`; the lane is asked for with the x-lane header. */
export function laneRequests(url: string, perLane: number, lanes: readonly Lane[] = ['blue', 'green', 'none']): { requests: DriverRequest[]; laneOf: (id: number) => Lane } {
  const requests: DriverRequest[] = [];
  const lanesById: Lane[] = [];
  for (let i = 0; i < perLane * lanes.length; i++) {
    const lane = lanes[i % lanes.length] as Lane;
    const headers: Record<string, string> = { traceparent: freshTraceparent() };
    if (lane !== 'none') headers['x-lane'] = lane;
    requests.push({ id: i, url, headers });
    lanesById.push(lane);
  }
  return { requests, laneOf: (id) => lanesById[id] as Lane };
}

export interface LaneFigure {
  readonly sent: number;
  readonly answered: number;
  /** requests that reached the expected version at every hop (and failed exactly where expected, if at all) */
  readonly rightEveryHop: number;
  readonly wrong: readonly string[];
}

/** Compares every result with its expectation and prints the figure the issue asks for. */
export function laneIntegrity(scenario: string, results: readonly DriverResult[], sent: number, expect: (id: number) => Expectation): LaneFigure {
  const wrong: string[] = [];
  let right = 0;
  for (const result of results) {
    const expected = expect(result.id);
    const hops = hopsOf(result.body);
    const status = expected.status ?? 200;
    const samePods = hops.pods.join('>') === expected.pods.join('>');
    const sameFailure =
      (expected.failedRoute === undefined || hops.failedRoute === expected.failedRoute) &&
      (expected.failedError === undefined || hops.failedError === expected.failedError);
    if (result.status === status && samePods && sameFailure) right++;
    else {
      const got = `${result.status} ${hops.pods.join('>')} ${hops.failedRoute ?? ''} ${hops.failedError ?? ''} ${result.error ?? ''}`;
      wrong.push(`#${result.id}: got ${got}; want ${status} ${expected.pods.join('>')} ${expected.failedRoute ?? ''} ${expected.failedError ?? ''}`);
    }
  }
  const figure = { sent, answered: results.length, rightEveryHop: right, wrong };
  process.stdout.write(`# lane-integrity ${scenario}: sent ${sent}, answered ${results.length}, right version at every hop ${right}/${sent}\n`);
  return figure;
}
