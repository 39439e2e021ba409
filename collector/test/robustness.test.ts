import http from 'node:http';
import zlib from 'node:zlib';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpProto, type RunningCollector } from '../src/index.js';
import {
  http as httpRequest,
  otlpRequest,
  postJson,
  promptSpan,
  startTestCollector,
  toolCallSpan,
} from './helpers.js';

/** Mulberry32: small seeded PRNG so a failing mutation can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sends a body with a raw http.request (streams it), resolving with the status even if we stop early. */
function rawPost(
  url: string,
  headers: Record<string, string | number>,
  chunks: AsyncIterable<Buffer> | Buffer[],
) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    (async () => {
      for await (const c of chunks) {
        if (req.destroyed) return;
        if (!req.write(c)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(() => {});
  });
}

describe('collector robustness: bad input gets a 4xx, never a crash or a wedge', () => {
  let collector: RunningCollector;
  const traces = () => `${collector.url}/v1/traces`;
  const healthy = async () => (await httpRequest(`${collector.url}/healthz`)).status === 200;

  beforeAll(async () => {
    collector = await startTestCollector({
      maxBodyBytes: 1024 * 1024,
      maxDecompressedBytes: 4 * 1024 * 1024,
    });
  });
  afterAll(async () => {
    await collector.close();
  });

  it('answers 400 with an OTLP Status for malformed protobuf', async () => {
    for (const body of [
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), // length far beyond the buffer
      Buffer.from([0x0f, 0x01]), // invalid wire type
      Buffer.from('definitely not protobuf, just text that happens to be here'),
    ]) {
      const res = await httpRequest(traces(), {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-protobuf' },
      });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe('application/x-protobuf');
    }
    const res = await httpRequest(traces(), {
      method: 'POST',
      body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      headers: { 'content-type': 'application/x-protobuf' },
    });
    const status = OtlpProto.Status.toObject(OtlpProto.Status.decode(res.raw)) as { message?: string };
    expect(status.message ?? '').toMatch(/not a valid protobuf/);
    expect(await healthy()).toBe(true);
  });

  it('answers 415 for a wrong content type and an unknown content encoding', async () => {
    const a = await httpRequest(traces(), {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(a.status).toBe(415);
    expect(a.text).toMatch(/application\/x-protobuf or application\/json/);
    const b = await httpRequest(traces(), {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
    });
    expect(b.status).toBe(415);
    const c = await httpRequest(`${collector.url}/v1/verdicts`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'text/xml' },
    });
    expect(c.status).toBe(415);
    expect(await healthy()).toBe(true);
  });

  it('answers 413 for a gzip bomb without inflating it', async () => {
    // 256 MiB of zeros gzip to about 256 KiB: under maxBodyBytes, far over maxDecompressedBytes.
    const bomb = zlib.gzipSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const rssBefore = process.memoryUsage().rss;
    for (const ct of ['application/x-protobuf', 'application/json']) {
      const res = await httpRequest(traces(), {
        method: 'POST',
        body: bomb,
        headers: { 'content-type': ct, 'content-encoding': 'gzip' },
      });
      expect(res.status).toBe(413);
    }
    // The collector runs in this process: it must not have inflated 256 MiB.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(128 * 1024 * 1024);
    const corrupt = await httpRequest(traces(), {
      method: 'POST',
      body: Buffer.from('not gzip at all'),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expect(corrupt.status).toBe(400);
    expect(await healthy()).toBe(true);
  });

  it('answers 413 for a 50 MB body, declared or streamed', async () => {
    const mb = Buffer.alloc(1024 * 1024, 0x61);
    const fifty = () => Array.from({ length: 50 }, () => mb);
    const declared = await rawPost(
      traces(),
      { 'content-type': 'application/json', 'content-length': 50 * 1024 * 1024 },
      fifty(),
    );
    expect(declared.status).toBe(413);
    const chunked = await rawPost(
      traces(),
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      fifty(),
    );
    expect(chunked.status).toBe(413);
    expect(chunked.body).toMatch(/maxBodyBytes/);
    const verdict = await rawPost(
      `${collector.url}/v1/verdicts`,
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      fifty(),
    );
    expect(verdict.status).toBe(413);
    expect(await healthy()).toBe(true);
  });

  it('answers 400 for broken HTTP and unknown routes with 404/405', async () => {
    expect((await httpRequest(`${collector.url}/nope`)).status).toBe(404);
    expect((await httpRequest(traces())).status).toBe(405);
    expect((await postJson(`${collector.url}/healthz`, {})).status).toBe(405);
    expect(await healthy()).toBe(true);
  });

  it('survives a few thousand randomly mutated JSON bodies (seeded), answering each', async () => {
    const seed = 20_251_123;
    const random = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const base = [
      JSON.stringify(
        otlpRequest([
          toolCallSpan('fuzz-s1', 'e1', 'send_email', { to: 'a@b.c', body: 'hi' }),
          promptSpan('fuzz-s1', 'hello'),
        ]),
      ),
      JSON.stringify({
        sessionId: 'fuzz-s1',
        toolCall: { toolCallId: 'c1', toolName: 'send_email', arguments: { to: 'a@b.c' } },
        events: [],
      }),
    ];
    const junk = [
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      'null',
      '-1',
      '1e309',
      '"\\u0000"',
      'true',
      '{"a":',
      '0'.repeat(30),
      '\\',
    ];
    const mutate = (s: string): string => {
      let out = s;
      const n = 1 + Math.floor(random() * 4);
      for (let i = 0; i < n; i += 1) {
        const at = Math.floor(random() * out.length);
        switch (Math.floor(random() * 5)) {
          case 0: // delete a slice
            out = out.slice(0, at) + out.slice(at + 1 + Math.floor(random() * 8));
            break;
          case 1: // insert junk
            out = out.slice(0, at) + pick(junk) + out.slice(at);
            break;
          case 2: // flip a character
            out = out.slice(0, at) + String.fromCharCode(Math.floor(random() * 128)) + out.slice(at + 1);
            break;
          case 3: // swap a value's type
            out = out.replace(
              pick(['"stringValue"', '"intValue"', '"spans"', '"attributes"', '"toolCall"', '"events"']),
              pick(['"x"', '1', 'null', '[]']),
            );
            break;
          default: // truncate
            out = out.slice(0, at);
        }
      }
      return out;
    };
    const pool = new Pool(collector.url, { connections: 4 });
    const statuses = new Map<number, number>();
    try {
      const total = 3_000;
      for (let i = 0; i < total; i += 1) {
        const which = random() < 0.7 ? 0 : 1;
        const body = mutate(base[which]!);
        const res = await pool.request({
          path: which === 0 ? '/v1/traces' : '/v1/verdicts',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          headersTimeout: 10_000,
        });
        await res.body.dump();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500) throw new Error(`seed ${seed}, body #${i} got ${res.statusCode}: ${body}`);
      }
    } finally {
      await pool.close();
    }
    console.info(
      `mutated JSON bodies (seed ${seed}): statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    // Mutations that still form a valid request are answered 200 (OTLP partialSuccess lists rejected spans).
    const fourxx = [...statuses].filter(([s]) => s >= 400 && s < 500).reduce((n, [, c]) => n + c, 0);
    expect(fourxx).toBeGreaterThan(1_500);
    expect([...statuses.keys()].every((s) => s === 200 || (s >= 400 && s < 500))).toBe(true);
    expect(await healthy()).toBe(true);
  }, 120_000);

  it('reports rejected spans in partialSuccess and keeps the good ones', async () => {
    const good = toolCallSpan('partial-s', 'good-1');
    const bad = { ...toolCallSpan('partial-s', 'bad-1'), traceId: 'zz' };
    const res = await postJson(traces(), otlpRequest([good, bad]));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ partialSuccess: { rejectedSpans: 1 } });
    expect(JSON.stringify(res.json)).toMatch(/traceId/);
    const ok = await postJson(traces(), otlpRequest([good]));
    expect(ok.json).toEqual({});
  });
});
