import { describe, expect, it } from 'vitest';
import { TenantWorkQueue } from './tenant-work-queue.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('TenantWorkQueue', () => {
  it('runs one job per tenant at a time, in order, while other tenants run alongside', async () => {
    const q = new TenantWorkQueue({ maxPerTenant: 10, maxTotal: 100, queueTimeoutMillis: 5_000 });
    const log: string[] = [];
    const job = (name: string, slices: number) => async () => {
      for (let i = 0; i < slices; i++) {
        log.push(name);
        await tick();
      }
      return name;
    };
    const admit = (t: string) => {
      const a = q.admit(t);
      if (!a.ok) throw new Error(a.message);
      return a.ticket;
    };
    const a1 = admit('a').run(job('a1', 5));
    const a2 = admit('a').run(job('a2', 1));
    const b1 = admit('b').run(job('b1', 1));
    expect(q.size).toBe(3);
    const out = await Promise.all([a1, a2, b1]);
    expect(out.map((o) => o.ok && o.value)).toEqual(['a1', 'a2', 'b1']);
    // b1 ran while a1 was still working; a2 only after a1.
    expect(log.indexOf('b1')).toBeLessThan(log.lastIndexOf('a1'));
    expect(log.indexOf('a2')).toBeGreaterThan(log.lastIndexOf('a1'));
    expect(q.size).toBe(0);
  });

  it('refuses past the per-tenant and total bounds, and frees places on release', () => {
    const q = new TenantWorkQueue({ maxPerTenant: 2, maxTotal: 3, queueTimeoutMillis: 1_000 });
    const t1 = q.admit('a');
    expect(q.admit('a').ok).toBe(true);
    expect(q.admit('a')).toMatchObject({ ok: false, reason: 'tenant_busy' });
    expect(q.admit('b').ok).toBe(true);
    expect(q.admit('c')).toMatchObject({ ok: false, reason: 'overloaded' });
    if (t1.ok) {
      t1.ticket.release();
      t1.ticket.release();
    }
    expect(q.size).toBe(2);
    expect(q.admit('c').ok).toBe(true);
  });

  it('keepPlace ends the turn with the work but keeps the place counted until release', async () => {
    const q = new TenantWorkQueue({ maxPerTenant: 2, maxTotal: 10, queueTimeoutMillis: 1_000 });
    const first = q.admit('a');
    const second = q.admit('a');
    if (!first.ok || !second.ok) throw new Error('admit');
    expect(await first.ticket.run(() => 'first', { keepPlace: true })).toEqual({ ok: true, value: 'first' });
    expect(q.size).toBe(2);
    expect(q.admit('a')).toMatchObject({ ok: false, reason: 'tenant_busy' });
    // The lane is free: the tenant's next job runs while the first still holds its place.
    expect(await second.ticket.run(() => 'second')).toEqual({ ok: true, value: 'second' });
    expect(q.size).toBe(1);
    first.ticket.release();
    expect(q.size).toBe(0);
    const third = q.admit('a');
    expect(third.ok && (await third.ticket.run(() => 'third'))).toEqual({ ok: true, value: 'third' });
  });

  it('expires a job that waited past the queue timeout, and the lane keeps working', async () => {
    const q = new TenantWorkQueue({ maxPerTenant: 5, maxTotal: 5, queueTimeoutMillis: 20 });
    const first = q.admit('a');
    const second = q.admit('a');
    if (!first.ok || !second.ok) throw new Error('admit');
    const slow = first.ticket.run(() => new Promise((r) => setTimeout(() => r('slow'), 60)));
    const late = await second.ticket.run(() => 'late');
    expect(late).toMatchObject({ ok: false, reason: 'expired' });
    expect((await slow).ok).toBe(true);
    const third = q.admit('a');
    expect(third.ok && (await third.ticket.run(() => 'again'))).toEqual({ ok: true, value: 'again' });
    expect(q.size).toBe(0);
  });
});
