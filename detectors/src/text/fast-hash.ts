/**
 * Fast non-cryptographic string hashes (the cyrb53 / cyrb128 constructions: multiply-xor lanes over UTF-16
 * code units with a final avalanche). For cache keys and identifiers that need to be stable and well spread,
 * not unforgeable: anything an attacker could exploit by forging a collision (approvals bound to arguments)
 * keeps SHA-256 (`stableHash` in contracts), and the analysis cache compares the text itself on a hit.
 */

/**
 * 53-bit hash of `s` as a safe integer (a cheap `Map` key). Different seeds give independent hashes.
 *
 * @example
 * fastHash53('hello') === fastHash53('hello'); // true
 */
export function fastHash53(s: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

/**
 * 128-bit hash of `s` as 32 lower-case hex characters (the width finding ids had as a SHA-256 prefix).
 *
 * @example
 * fastHash128Hex('a').length; // 32
 */
export function fastHash128Hex(s: string): string {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < s.length; i++) {
    const k = s.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  // Mix the length in so that prefixes of one another spread apart too.
  h1 ^= s.length;
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return hex8(h1) + hex8(h2) + hex8(h3) + hex8(h4);
}
