import { fnv1a } from './normalize-text.js';

/**
 * A small fixed-size Bloom filter over words. Untrusted results can be large; the session keeps only this
 * fingerprint of their words (1 KiB by default), enough to ask "did this argument text come from there?".
 */
export class BloomFilter {
  readonly bits: Uint32Array;
  private readonly mask: number;

  constructor(bitCount = 8192) {
    const size = 1 << Math.ceil(Math.log2(Math.max(64, bitCount)));
    this.bits = new Uint32Array(size >>> 5);
    this.mask = size - 1;
  }

  add(s: string): void {
    const h1 = fnv1a(s);
    const h2 = fnv1a(s, 0x9747b28c) | 1;
    for (let i = 0; i < 3; i++) {
      const b = (h1 + Math.imul(i, h2)) & this.mask;
      this.bits[b >>> 5]! |= 1 << (b & 31);
    }
  }

  /** Adds a word by its precomputed hashes (see {@link bloomHashes}): the same bits as `add(word)`. */
  addHashes(h1: number, h2: number): void {
    for (let i = 0; i < 3; i++) {
      const b = (h1 + Math.imul(i, h2)) & this.mask;
      this.bits[b >>> 5]! |= 1 << (b & 31);
    }
  }

  has(s: string): boolean {
    return this.hasHashes(fnv1a(s), fnv1a(s, 0x9747b28c) | 1);
  }

  /** Membership from precomputed hashes (see {@link bloomHashes}): test one word against many filters cheaply. */
  hasHashes(h1: number, h2: number): boolean {
    for (let i = 0; i < 3; i++) {
      const b = (h1 + Math.imul(i, h2)) & this.mask;
      if ((this.bits[b >>> 5]! & (1 << (b & 31))) === 0) return false;
    }
    return true;
  }
}

/** The two hashes `BloomFilter` uses for a word. */
export function bloomHashes(s: string): [number, number] {
  return [fnv1a(s), fnv1a(s, 0x9747b28c) | 1];
}
