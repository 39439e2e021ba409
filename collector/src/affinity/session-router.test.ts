import { describe, expect, it } from 'vitest';
import { SessionRouter } from './session-router.js';

const peers = ['http://a:4318', 'http://b:4318', 'http://c:4318'];

describe('SessionRouter', () => {
  it('agrees on one owner per session across instances', () => {
    const routers = peers.map((self) => new SessionRouter(peers, self, 1_000));
    for (let i = 0; i < 200; i += 1) {
      const owners = routers.map((r, idx) => r.ownerOf('t', `s${i}`) ?? peers[idx]);
      expect(new Set(owners).size).toBe(1);
    }
  });

  it('spreads sessions and moves only the removed peer’s sessions when one leaves', () => {
    const all = new SessionRouter(peers, 'http://a:4318', 1_000);
    const two = new SessionRouter(['http://a:4318', 'http://b:4318'], 'http://a:4318', 1_000);
    const count = new Map<string, number>();
    let moved = 0;
    for (let i = 0; i < 3_000; i += 1) {
      const before = all.ownerOf('t', `s${i}`) ?? 'http://a:4318';
      const after = two.ownerOf('t', `s${i}`) ?? 'http://a:4318';
      count.set(before, (count.get(before) ?? 0) + 1);
      if (before !== after) {
        moved += 1;
        expect(before).toBe('http://c:4318');
      }
    }
    for (const p of peers) expect(count.get(p)).toBeGreaterThan(700);
    expect(moved).toBe(count.get('http://c:4318'));
  });

  it('keys by tenant too, and is inactive without peers', () => {
    const r = new SessionRouter(peers, 'http://a:4318', 1_000);
    const differs = Array.from(
      { length: 50 },
      (_, i) => r.ownerOf('t1', `s${i}`) !== r.ownerOf('t2', `s${i}`),
    ).some(Boolean);
    expect(differs).toBe(true);
    expect(new SessionRouter([], undefined, 1_000).ownerOf('t', 's')).toBeUndefined();
  });

  it('marks a failed peer down for a while', () => {
    let now = 0;
    const r = new SessionRouter(peers, 'http://a:4318', 1_000, () => now);
    r.markDown('http://b:4318');
    expect(r.isDown('http://b:4318')).toBe(true);
    now = 1_000;
    expect(r.isDown('http://b:4318')).toBe(false);
  });
});
