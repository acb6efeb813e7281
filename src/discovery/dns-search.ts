// The resolv.conf search list, applied the way the C resolver applies it: Node's dns.Resolver asks
// for names exactly as given, so "base-blue" would never find "base-blue.shop.svc.cluster.local".
import { readFileSync } from 'node:fs';

export interface SearchList {
  readonly domains: readonly string[];
  /** names with fewer dots than this are tried with the search domains first */
  readonly ndots: number;
}

export const NO_SEARCH: SearchList = Object.freeze({ domains: [], ndots: 1 });

/** Reads `search`/`domain` and `options ndots:N` from resolv.conf text. */
export function parseResolvConf(text: string): SearchList {
  let domains: string[] = [];
  let ndots = 1;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...args] = line.split(/\s+/);
    if (keyword === 'search' || keyword === 'domain') domains = args.filter((d) => d !== '' && d !== '.');
    if (keyword === 'options') {
      for (const option of args) {
        const match = /^ndots:(\d+)$/.exec(option);
        if (match) ndots = Math.min(15, Number(match[1]));
      }
    }
  }
  return { domains: domains.map((d) => d.replace(/\.$/, '')), ndots };
}

let system: SearchList | undefined;

/** The machine's search list (read once); none when resolv.conf cannot be read. */
export function systemSearchList(path = '/etc/resolv.conf'): SearchList {
  if (system !== undefined) return system;
  try {
    system = parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    system = NO_SEARCH;
  }
  return system;
}

/**
 * The names to ask for, in order. A name ending in "." is absolute. One with at least `ndots` dots is
 * tried as is first; a shorter one with each search domain first, then as is.
 */
export function candidateNames(host: string, search: SearchList): string[] {
  if (host.endsWith('.')) return [host.slice(0, -1)];
  const expanded = search.domains.map((domain) => `${host}.${domain}`);
  const dots = host.split('.').length - 1;
  return dots >= search.ndots ? [host, ...expanded] : [...expanded, host];
}
