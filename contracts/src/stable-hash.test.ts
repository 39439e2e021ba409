import { describe, expect, it } from 'vitest';
import { BulwarkError } from './errors.js';
import { STABLE_HASH_MAX_DEPTH, stableHash, stableStringify } from './stable-hash.js';

function nested(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { a: v };
  return v;
}

describe('stableHash', () => {
  it('is independent of key order and unchanged for ordinary values', () => {
    expect(stableHash({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(stableHash({ a: [{ c: 3, d: 2 }], b: 1 }));
    expect(stableStringify({ b: 1, a: undefined, c: [undefined, null] })).toBe('{"b":1,"c":[null,null]}');
  });

  it('hashes values nested up to the limit', () => {
    expect(stableHash(nested(STABLE_HASH_MAX_DEPTH - 1))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('throws contracts.too_deep instead of overflowing the stack for 10^5 levels', () => {
    let thrown: unknown;
    try {
      stableHash(nested(100_000));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(BulwarkError);
    expect((thrown as BulwarkError).code).toBe('contracts.too_deep');
  });
});
