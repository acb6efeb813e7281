// What the console needs from the rule file: services, the split with its zero weights, mirroring.
// Read from the validated rules plus the raw document (the compiled split drops weight-0 colors, and
// `mirror` may be newer than the schema this console was built with).
import { parse as parseYaml } from 'yaml';
import { parseRules } from '../config/load.js';
import { NONE } from './lanes.js';

export interface MirrorView {
  color: string;
  /** 0-100; SPEC 8's default is 100 */
  percent: number;
}

export interface ServiceView {
  name: string;
  port: number;
  force: boolean;
  defaultColor?: string;
  discovery: 'static' | 'dns' | 'kubernetes';
  /** static endpoints per color (NONE for untagged), so the map has rows before any metrics arrive */
  configured: Record<string, number>;
  mirror?: MirrorView;
}

export interface SplitView {
  /** color → weight, in file order, zeros included */
  weights: Record<string, number>;
  /** e.g. "header x-user-id" */
  stickyBy?: string;
}

export interface RulesView {
  /** the rules' content hash, as the sidecars report it in colormesh_config_info */
  hash: string;
  /** the rule file's allow-list, empty when it has none */
  colors: string[];
  entrypoints: string[];
  split?: SplitView;
  services: ServiceView[];
}

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Throws the loader's ConfigError when the text is not a valid rule file. */
export function rulesView(text: string, source: string): RulesView {
  const rules = parseRules(text, source);
  const raw: unknown = parseYaml(text);
  const doc = isObject(raw) ? raw : {};
  const ingress = isObject(doc['ingress']) ? doc['ingress'] : {};
  const rawServices = isObject(doc['services']) ? doc['services'] : {};

  const services: ServiceView[] = [];
  for (const rule of rules.services.values()) {
    const configured: Record<string, number> = {};
    if (rule.discovery.kind === 'static') {
      for (const e of rule.discovery.endpoints) {
        const color = e.color ?? NONE;
        configured[color] = (configured[color] ?? 0) + 1;
      }
    } else if (rule.discovery.kind === 'dns') {
      for (const key of Object.keys(rule.discovery.hosts)) configured[key === 'untagged' ? NONE : key] = 0;
    }
    const view: ServiceView = { name: rule.name, port: rule.port, force: rule.force, discovery: rule.discovery.kind, configured };
    if (rule.defaultColor !== undefined) view.defaultColor = rule.defaultColor;
    const mirror = mirrorOf(rawServices[rule.name]);
    if (mirror !== undefined) view.mirror = mirror;
    services.push(view);
  }

  const view: RulesView = {
    hash: rules.hash,
    colors: rules.colors === undefined ? [] : [...rules.colors],
    entrypoints: [...rules.ingress.entrypoints],
    services,
  };
  const split = isObject(ingress['split']) ? ingress['split'] : undefined;
  if (split !== undefined && isObject(split['weights'])) {
    const weights: Record<string, number> = {};
    for (const [color, weight] of Object.entries(split['weights'])) weights[color.toLowerCase()] = Number(weight);
    view.split = { weights };
    const sticky = rules.ingress.split?.stickyBy;
    if (sticky !== undefined) view.split.stickyBy = `${sticky.source} ${sticky.name}`;
  }
  return view;
}

function mirrorOf(service: unknown): MirrorView | undefined {
  if (!isObject(service) || !isObject(service['mirror'])) return undefined;
  const color = service['mirror']['color'];
  const percent = service['mirror']['percent'];
  if (typeof color !== 'string') return undefined;
  return { color: color.toLowerCase(), percent: typeof percent === 'number' ? percent : 100 };
}
