/**
 * Regressions from the attack probe on the HTTP edge: no load shedding (2 000 keep-alive clients, verdict
 * records dropped from the bus), slow-loris sockets held 41 s / 71 s, a 50 MB body's early 413 lost to EPIPE.
 */
import http from 'node:http';
import net from 'node:net';
import type { BusRecord, BusTopic, EventBus, PublishResult } from '@bulwark/contracts';
import { InProcessEventBus } from '@bulwark/stream';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { http as get, metricValue, postJson, startTestCollector } from './helpers.js';

const verdict = (i: number) => ({
  sessionId: `s-${i % 4}`,
  toolCall: { toolCallId: `c-${i}`, toolName: 'get_balance', arguments: { account: `a-${i}` } },
});

describe('load shedding', () => {
  it("answers 429 + Retry-After past a tenant's queue bound, and every request gets an answer", async () => {
    // A generous queue deadline: on a loaded machine the second request otherwise waits past the default
    // 1 s behind the first and answers 503 `expired`, which is not what this test is about.
    const c = await startTestCollector({
      maxQueuedVerdictsPerTenant: 2,
      maxInFlightVerdicts: 4,
      verdictQueueTimeoutMillis: 30_000,
    });
    try {
      // Twelve heavy requests at once (each decided in slices): the later ones find the tenant's lane full.
      const heavy = (i: number) => ({
        ...verdict(i),
        events: Array.from({ length: 800 }, (_, k) => ({
          kind: 'prompt',
          eventId: `h-${i}-${k}`,
          sessionId: `s-${i % 4}`,
          timestampMillis: Date.now(),
          role: 'user',
          content: `request ${i} line ${k}: summarise the quarterly figures for region ${k % 17}`,
        })),
      });
      const sends = Array.from({ length: 12 }, (_, i) =>
        postJson(`${c.url}/v1/verdicts`, heavy(i)).then((r) => ({
          status: r.status,
          headers: r.headers,
          json: r.json,
        })),
      );
      const results = await Promise.all(sends);
      const byStatus = new Map<number, number>();
      for (const r of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
      expect([...byStatus.keys()].every((s) => s === 200 || s === 429)).toBe(true);
      expect(byStatus.get(429) ?? 0).toBeGreaterThan(0);
      expect(byStatus.get(200) ?? 0).toBeGreaterThan(0);
      const shed = results.find((r) => r.status === 429)!;
      expect(shed.headers['retry-after']).toBe('1');
      expect(shed.json).toMatchObject({ error: { code: 'tenant_busy' } });
      const metrics = (await get(`${c.url}/metrics`)).text;
      expect(
        metricValue(metrics, 'bulwark_collector_shed_total', { route: 'verdicts', reason: 'tenant_busy' }),
      ).toBe(byStatus.get(429));
    } finally {
      await c.close();
    }
  });

  it('answers 503 + Retry-After on connections past maxConnections, and closes them', async () => {
    const c = await startTestCollector({ maxConnections: 2 });
    const agents = Array.from({ length: 4 }, () => new Agent({ connections: 1, pipelining: 1 }));
    try {
      // Four keep-alive connections, opened one after the other and held.
      const statuses: number[] = [];
      const retry: (string | string[] | undefined)[] = [];
      for (const dispatcher of agents) {
        const res = await request(`${c.url}/v1/verdicts`, {
          method: 'POST',
          dispatcher,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(verdict(statuses.length)),
        });
        await res.body.text();
        statuses.push(res.statusCode);
        retry.push(res.headers['retry-after']);
      }
      expect(statuses).toEqual([200, 200, 503, 503]);
      expect(retry.slice(2)).toEqual(['1', '1']);
      expect((await get(`${c.url}/healthz`)).status).toBe(200);
    } finally {
      await Promise.all(agents.map((a) => a.close()));
      await c.close();
    }
  });

  it('refuses the verdict (429/503 + Retry-After) when the bus refuses its record, never answers unrecorded', async () => {
    const inner = new InProcessEventBus();
    let refuse = false;
    const bus: EventBus = {
      publish<T>(topic: BusTopic, records: readonly BusRecord<T>[]): Promise<PublishResult> {
        if (refuse && topic === 'verdicts')
          return Promise.resolve({
            ok: false,
            reason: 'backpressure',
            retryAfterMillis: 2_000,
            message: 'full',
          });
        return inner.publish(topic, records);
      },
      subscribe: (topic, handler, options) => inner.subscribe(topic, handler, options),
      isReady: () => inner.isReady(),
      forceFlush: () => inner.forceFlush(),
      shutdown: () => inner.shutdown(),
    };
    const c = await startTestCollector({ eventBus: bus });
    try {
      expect((await postJson(`${c.url}/v1/verdicts`, verdict(1))).status).toBe(200);
      refuse = true;
      const res = await postJson(`${c.url}/v1/verdicts`, verdict(2));
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('2');
      expect(res.json).toMatchObject({ error: { code: 'bus_backpressure' } });
      const metrics = (await get(`${c.url}/metrics`)).text;
      expect(
        metricValue(metrics, 'bulwark_collector_shed_total', {
          route: 'verdicts',
          reason: 'bus_backpressure',
        }),
      ).toBe(1);
    } finally {
      await c.close();
      await inner.shutdown();
    }
  });
});

/** Resolves with how long the server took to close a socket we keep trickling bytes into. */
function closedAfter(port: number, head: string, trickle: string, everyMillis: number): Promise<number> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(head);
      const timer = setInterval(() => {
        if (!socket.destroyed) socket.write(trickle);
      }, everyMillis);
      socket.on('close', () => {
        clearInterval(timer);
        resolve(Date.now() - started);
      });
    });
    socket.on('error', () => {});
    socket.on('data', () => {});
  });
}

describe('slow clients', () => {
  it('closes a slow-loris socket within the header and request timeouts, and a stalled body with 408', async () => {
    const c = await startTestCollector({
      headersTimeoutMillis: 1_000,
      requestTimeoutMillis: 2_000,
      bodyIdleTimeoutMillis: 500,
    });
    try {
      const headers = closedAfter(c.port, 'POST /v1/verdicts HTTP/1.1\r\nHost: x\r\n', 'x', 100);
      const body = closedAfter(
        c.port,
        'POST /v1/verdicts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n',
        '{',
        200,
      );
      const [h, b] = await Promise.all([headers, body]);
      // Bounds plus node's check interval (½ of headersTimeout here) and slack for a busy machine.
      expect(h).toBeLessThan(4_000);
      expect(b).toBeLessThan(5_000);
      // A body that stops arriving gets a 408 after bodyIdleTimeoutMillis.
      const stalled = await new Promise<{ status: number; millis: number }>((resolve) => {
        const started = Date.now();
        const req = http.request(
          `${c.url}/v1/verdicts`,
          { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 1000 } },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, millis: Date.now() - started });
          },
        );
        req.on('error', () => {});
        req.write('{"sessionId":');
      });
      expect(stalled.status).toBe(408);
      expect(stalled.millis).toBeLessThan(3_000);
      expect((await get(`${c.url}/healthz`)).status).toBe(200);
    } finally {
      await c.close();
    }
  }, 20_000);
});

describe('slow bodies hold no queue place', () => {
  // Regression (soak): slow-body sockets on /v1/verdicts filled the tenant's queue, so every other verdict of
  // that tenant got 429 tenant_busy for 90 s.
  it('verdicts of the same tenant pass while its slow-body sockets trickle, and those are closed', async () => {
    const c = await startTestCollector({
      maxQueuedVerdictsPerTenant: 4,
      headersTimeoutMillis: 1_000,
      requestTimeoutMillis: 2_000,
      bodyIdleTimeoutMillis: 1_000,
    });
    try {
      const slow = Array.from({ length: 20 }, () =>
        closedAfter(
          c.port,
          'POST /v1/verdicts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
          ' ',
          100,
        ),
      );
      await new Promise((r) => setTimeout(r, 300));
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await postJson(`${c.url}/v1/verdicts`, verdict(i))).status);
      expect(statuses).toEqual(Array(10).fill(200));
      const closed = await Promise.all(slow);
      // requestTimeoutMillis, the 408's short linger, and slack for a busy machine.
      for (const millis of closed) expect(millis).toBeLessThan(6_000);
    } finally {
      await c.close();
    }
  }, 30_000);
});

describe('early 413', () => {
  it('reaches the client of a declared 50 MB body every time (drained, not cut off with EPIPE)', async () => {
    const c = await startTestCollector({ maxBodyBytes: 1024 * 1024 });
    const mb = Buffer.alloc(1024 * 1024, 0x61);
    try {
      for (const path of ['/v1/verdicts', '/v1/traces', '/v1/verdicts', '/v1/traces', '/v1/verdicts']) {
        const out = await new Promise<{ status: number } | { error: string }>((resolve) => {
          const req = http.request(`${c.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': 50 * 1024 * 1024 },
          });
          req.on('response', (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0 });
          });
          req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
          (async () => {
            for (let i = 0; i < 50 && !req.destroyed; i++)
              if (!req.write(mb)) await new Promise((r) => req.once('drain', r));
            req.end();
          })().catch(() => {});
        });
        expect(out).toEqual({ status: 413 });
      }
    } finally {
      await c.close();
    }
  }, 60_000);
});
