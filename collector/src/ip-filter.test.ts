import { describe, expect, it } from 'vitest';
import { IpFilter } from './ip-filter.js';

describe('IpFilter', () => {
  it('allows everything when no list is set', () => {
    expect(new IpFilter([], []).check('203.0.113.9')).toEqual({ ok: true });
  });
  it('applies allow lists to v4, v6 and v4-mapped v6 addresses', () => {
    const f = new IpFilter(['10.0.0.0/8', '2001:db8::/32'], []);
    expect(f.check('10.1.2.3').ok).toBe(true);
    expect(f.check('::ffff:10.1.2.3').ok).toBe(true);
    expect(f.check('2001:db8::1').ok).toBe(true);
    expect(f.check('11.0.0.1').ok).toBe(false);
    expect(f.check('2001:db9::1').ok).toBe(false);
  });
  it('lets the deny list win over the allow list', () => {
    const f = new IpFilter(['10.0.0.0/8'], ['10.6.6.0/24']);
    const r = f.check('10.6.6.6');
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.message).toMatch(/deny list/);
    expect(f.check('10.6.7.1').ok).toBe(true);
  });
  it('refuses something that is not an address', () => {
    expect(new IpFilter(['10.0.0.0/8'], []).check('').ok).toBe(false);
  });
});
