// The e2e topology shared by the scenarios: client → entry → svc-a → svc-b → svc-c, where svc-a has an untagged
// and a blue pod, svc-b only an untagged one, and svc-c untagged, blue and green pods.
import type { Expectation, Lane } from './e2e-lanes.js';
import type { MeshDefinition, PodDefinition } from './e2e-mesh.js';

export const ENTRY_URL_PATH = '/order';

/** Which hop calls which; each app learns only its NEXT URL, as an app reads its config. */
export const NEXT_HOP: Readonly<Record<string, string>> = {
  entry: 'http://svc-a:8080/a',
  a: 'http://svc-b:8080/b',
  'a-blue': 'http://svc-b:8080/b',
  b: 'http://svc-c:8080/c',
};

function appPod(name: string, service: string, color?: string): PodDefinition {
  const next = NEXT_HOP[name];
  return { name, service, ...(color !== undefined ? { color } : {}), app: next !== undefined ? { NEXT: next } : {} };
}

export const CHAIN_PODS: readonly PodDefinition[] = [
  { name: 'client' },
  appPod('entry', 'entry'),
  appPod('a', 'svc-a'),
  appPod('a-blue', 'svc-a', 'blue'),
  appPod('b', 'svc-b'),
  appPod('c', 'svc-c'),
  appPod('c-blue', 'svc-c', 'blue'),
  appPod('c-green', 'svc-c', 'green'),
];

/** The lanes as the entry point colors them: header x-lane picks blue or green, anything else stays uncolored. */
export function chainRules(ip: (pod: string) => string): string {
  const at = (pod: string): string => `"${ip(pod)}:8080"`;
  return `version: 1
colors: [blue, green]
ingress:
  entrypoints: [entry]
  rules:
    - match: { header: { name: x-lane, exact: blue } }
      color: blue
    - match: { header: { name: x-lane, exact: green } }
      color: green
services:
  entry:
    port: 8080
    endpoints: [{ address: ${at('entry')} }]
  svc-a:
    port: 8080
    endpoints: [{ address: ${at('a')} }, { address: ${at('a-blue')}, color: blue }]
  svc-b:
    port: 8080
    endpoints: [{ address: ${at('b')} }]
  svc-c:
    port: 8080
    endpoints: [{ address: ${at('c')} }, { address: ${at('c-blue')}, color: blue }, { address: ${at('c-green')}, color: green }]
  svc-c-forced:
    port: 8080
    force: true
    endpoints: [{ address: ${at('c')} }, { address: ${at('c-blue')}, color: blue }]
`;
}

/** Each service name resolves to one of its pods' IPs; with interception the sidecar picks the real endpoint. */
export const CHAIN_HOSTS: Readonly<Record<string, string>> = {
  entry: 'entry',
  'svc-a': 'a',
  'svc-b': 'b',
  'svc-c': 'c',
  'svc-c-forced': 'c',
};

export function chainMesh(overrides: Partial<MeshDefinition> = {}): MeshDefinition {
  return { pods: CHAIN_PODS, hosts: CHAIN_HOSTS, rules: chainRules, ...overrides };
}

/** Where a request of each lane must land at every hop (SPEC 2: green falls back to untagged svc-a but keeps its color). */
export function chainExpectation(lane: Lane): Expectation {
  if (lane === 'blue') return { pods: ['entry', 'a-blue', 'b', 'c-blue'] };
  if (lane === 'green') return { pods: ['entry', 'a', 'b', 'c-green'] };
  return { pods: ['entry', 'a', 'b', 'c'] };
}
