// A stable 32-bit string hash for sticky traffic splits: the same user id must land in the same lane on
// every sidecar, after every restart and upgrade, so this must never depend on process state or Node's
// internal (seeded, version-dependent) string hashing.

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a (32-bit) over the UTF-8 bytes of `s`, followed by MurmurHash3's fmix32 finalizer, as an
 * unsigned 32-bit integer. FNV-1a alone mixes the last bytes poorly, so ids that differ only in their
 * final digit ("user-1", "user-2") would cluster; fmix32 spreads every input bit over the whole word.
 * Changing this function moves sticky users between lanes: treat it as a wire format.
 */
export function stableHash32(s: string): number {
  let hash = FNV_OFFSET_BASIS;
  // Encode to UTF-8 on the fly rather than through TextEncoder: no buffer per call on the hot path.
  for (let i = 0; i < s.length; i++) {
    let code = s.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    // A lone surrogate is encoded as U+FFFD, exactly as TextEncoder would.
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x80) {
      hash = mix(hash, code);
    } else if (code < 0x800) {
      hash = mix(hash, 0xc0 | (code >> 6));
      hash = mix(hash, 0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      hash = mix(hash, 0xe0 | (code >> 12));
      hash = mix(hash, 0x80 | ((code >> 6) & 0x3f));
      hash = mix(hash, 0x80 | (code & 0x3f));
    } else {
      hash = mix(hash, 0xf0 | (code >> 18));
      hash = mix(hash, 0x80 | ((code >> 12) & 0x3f));
      hash = mix(hash, 0x80 | ((code >> 6) & 0x3f));
      hash = mix(hash, 0x80 | (code & 0x3f));
    }
  }
  return fmix32(hash);
}

function mix(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, FNV_PRIME);
}

/** MurmurHash3's 32-bit finalizer (avalanche step). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
