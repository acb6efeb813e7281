// Checks a rule file beyond its shape: valid colors and names, compilable regexes, addresses, weights, and the
// "exactly one of" rules. Written defensively, because it also runs on files that failed the schema, so that
// an operator sees every problem in one pass.
import { normalizeColor } from '../core/color.js';
import { parseHostPort } from './address.js';
import type { PathSegment, PathTarget } from './positions.js';

export interface RawProblem {
  readonly path: readonly PathSegment[];
  readonly message: string;
  readonly target: PathTarget;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 7230 token: what W3C baggage allows as a key and HTTP as a header name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const COLOR_RULE = 'lower-case letters, digits and "-", 1-32 characters, starting and ending with a letter or digit';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

export function checkSemantics(file: unknown): RawProblem[] {
  const problems: RawProblem[] = [];
  const report = (path: readonly PathSegment[], message: string, target: PathTarget = 'value'): void => {
    problems.push({ path, message, target });
  };
  if (!isObject(file)) return problems;

  if (isString(file.baggageKey) && !TOKEN.test(file.baggageKey)) {
    report(['baggageKey'], `"${file.baggageKey}" is not a valid W3C baggage key (an HTTP token: no spaces, quotes, "=", "," or ";")`);
  }

  // The allow-list first: every other color is checked against it.
  let allowed: Set<string> | undefined;
  if (Array.isArray(file.colors)) {
    allowed = new Set();
    file.colors.forEach((value, i) => {
      if (!isString(value)) return;
      const color = normalizeColor(value);
      if (color === undefined) report(['colors', i], `"${value}" is not a valid color (${COLOR_RULE})`);
      else if (allowed?.has(color)) report(['colors', i], `color "${color}" is listed twice`);
      else allowed?.add(color);
    });
  }
  const checkColor = (value: unknown, path: readonly PathSegment[], target: PathTarget = 'value'): string | undefined => {
    if (!isString(value)) return undefined;
    const color = normalizeColor(value);
    if (color === undefined) report(path, `"${value}" is not a valid color (${COLOR_RULE})`, target);
    else if (allowed !== undefined && !allowed.has(color)) {
      report(path, `color "${color}" is not in the colors allow-list (${[...allowed].join(', ')})`, target);
    }
    return color;
  };

  if (isObject(file.ingress)) checkIngress(file.ingress, report, checkColor);
  if (isObject(file.services)) {
    for (const [name, service] of Object.entries(file.services)) {
      if (!DNS_LABEL.test(name)) {
        report(['services', name], `service name "${name}" is not a DNS-1123 label (lower-case letters, digits and "-", at most 63)`, 'key');
      }
      if (isObject(service)) checkService(name, service, report, checkColor);
    }
  }
  return problems;
}

type Report = (path: readonly PathSegment[], message: string, target?: PathTarget) => void;
type CheckColor = (value: unknown, path: readonly PathSegment[], target?: PathTarget) => string | undefined;

function checkIngress(ingress: Obj, report: Report, checkColor: CheckColor): void {
  if (Array.isArray(ingress.entrypoints)) {
    ingress.entrypoints.forEach((name, i) => {
      if (isString(name) && !DNS_LABEL.test(name)) report(['ingress', 'entrypoints', i], `entry point "${name}" is not a valid service name (DNS-1123 label)`);
    });
  }
  if (Array.isArray(ingress.rules)) {
    ingress.rules.forEach((rule, i) => {
      if (!isObject(rule)) return;
      const path = ['ingress', 'rules', i];
      checkColor(rule.color, [...path, 'color']);
      if (isObject(rule.match)) checkMatch(rule.match, [...path, 'match'], report);
    });
  }
  if (isObject(ingress.split)) {
    const split = ingress.split;
    const path = ['ingress', 'split'];
    if (isObject(split.weights)) {
      let total = 0;
      const seen = new Set<string>();
      for (const [key, weight] of Object.entries(split.weights)) {
        const color = checkColor(key, [...path, 'weights', key], 'key');
        if (color !== undefined && seen.has(color)) report([...path, 'weights', key], `color "${color}" appears twice (colors are compared lower-cased)`, 'key');
        if (color !== undefined) seen.add(color);
        if (typeof weight !== 'number') continue;
        if (!Number.isFinite(weight) || weight < 0) report([...path, 'weights', key], `weight ${weight} must be a finite number >= 0`);
        else total += weight;
      }
      if (total <= 0) report([...path, 'weights'], 'the weights must add up to more than 0');
    }
    const sticky = split.stickyBy;
    if (isObject(sticky)) {
      const given = ['header', 'cookie'].filter((k) => sticky[k] !== undefined);
      if (given.length !== 1) report([...path, 'stickyBy'], `stickyBy needs exactly one of header, cookie (found ${given.length === 0 ? 'none' : given.join(', ')})`);
      const header = sticky.header;
      if (isString(header) && !TOKEN.test(header)) report([...path, 'stickyBy', 'header'], `"${header}" is not a valid HTTP header name`);
    }
  }
}

function checkMatch(match: Obj, path: readonly PathSegment[], report: Report): void {
  const sources = ['header', 'cookie', 'query'].filter((k) => match[k] !== undefined);
  if (sources.length !== 1) {
    report(path, `match needs exactly one of header, cookie, query (found ${sources.length === 0 ? 'none' : sources.join(', ')})`);
  }
  for (const source of sources) {
    const matcher = match[source];
    if (!isObject(matcher)) continue;
    const at = [...path, source];
    const kinds = ['exact', 'prefix', 'regex'].filter((k) => matcher[k] !== undefined);
    if (kinds.length !== 1) report(at, `${source} match needs exactly one of exact, prefix, regex (found ${kinds.length === 0 ? 'none' : kinds.join(', ')})`);
    if (source === 'header' && isString(matcher.name) && !TOKEN.test(matcher.name)) report([...at, 'name'], `"${matcher.name}" is not a valid HTTP header name`);
    if (isString(matcher.regex)) {
      try {
        new RegExp(matcher.regex);
      } catch (err) {
        report([...at, 'regex'], (err as Error).message);
      }
    }
  }
}

function checkService(name: string, service: Obj, report: Report, checkColor: CheckColor): void {
  const path = ['services', name];
  const sources = ['endpoints', 'dns', 'kubernetes'].filter((k) => service[k] !== undefined);
  if (sources.length !== 1) {
    const found = sources.length === 0 ? 'none' : sources.join(', ');
    report(path, `service "${name}" needs exactly one discovery source: endpoints, dns or kubernetes (found ${found})`, 'key');
  }
  checkColor(service.defaultColor, [...path, 'defaultColor']);
  if (isObject(service.mirror)) checkColor(service.mirror.color, [...path, 'mirror', 'color']);

  if (Array.isArray(service.endpoints)) {
    if (service.endpoints.length === 0) report([...path, 'endpoints'], 'endpoints is empty: list at least one endpoint');
    const seen = new Set<string>();
    service.endpoints.forEach((endpoint, i) => {
      if (!isObject(endpoint)) return;
      checkColor(endpoint.color, [...path, 'endpoints', i, 'color']);
      if (!isString(endpoint.address)) return;
      const parsed = parseHostPort(endpoint.address);
      if (typeof parsed === 'string') report([...path, 'endpoints', i, 'address'], parsed);
      else if (seen.has(endpoint.address)) report([...path, 'endpoints', i, 'address'], `endpoint "${endpoint.address}" is listed twice`);
      seen.add(endpoint.address);
    });
  }
  if (isObject(service.dns)) {
    for (const [key, address] of Object.entries(service.dns)) {
      if (key.toLowerCase() !== 'untagged') checkColor(key, [...path, 'dns', key], 'key');
      if (!isString(address)) continue;
      // The port may be left out: DNS discovery then uses the service's port.
      const parsed = parseHostPort(address, typeof service.port === 'number' ? service.port : 80);
      if (typeof parsed === 'string') report([...path, 'dns', key], parsed);
    }
    if (Object.keys(service.dns).length === 0) report([...path, 'dns'], 'dns is empty: give "untagged" and/or a color with host:port');
  }
  if (isObject(service.kubernetes)) {
    const k8s = service.kubernetes;
    for (const key of ['service', 'namespace'] as const) {
      const value = k8s[key];
      if (isString(value) && !DNS_LABEL.test(value)) report([...path, 'kubernetes', key], `"${value}" is not a valid Kubernetes ${key} name (DNS-1123 label)`);
    }
    if (isString(k8s.colorLabel) && !LABEL_KEY.test(k8s.colorLabel)) {
      report([...path, 'kubernetes', 'colorLabel'], `"${k8s.colorLabel}" is not a valid Kubernetes label key`);
    }
  }
}
