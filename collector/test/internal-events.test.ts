/**
 * `POST /v1/internal/events` writes session state without a record: only session-affinity peers may call it,
 * and its body gets the verdict route's bounds, validated in time slices.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../src/index.js';
import { freePort, postJson, startTestCollector } from './helpers.js';

const KEY = 'agent-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };
const prompt = (i: number, content = `hello ${i}`) => ({
  kind: 'prompt',
  role: 'user',
  content,
  eventId: `p-${i}`,
  sessionId: 'peer-session',
  timestampMillis: 1_700_000_000_000 + i,
});

describe('/v1/internal/events is for peers only, within the verdict bounds', () => {
  let c: RunningCollector;
  let self: string;
  let peer: string;

  beforeAll(async () => {
    self = `http://127.0.0.1:${await freePort()}`;
    peer = `http://127.0.0.1:${await freePort()}`;
    c = await startTestCollector({
      apiKeys: [KEY],
      port: Number(new URL(self).port),
      selfUrl: self,
      peers: [self, peer],
      peerDownMillis: 60_000,
      maxVerdictEvents: 1_000,
    });
  });
  afterAll(async () => {
    await c?.close();
  });

  it('an agent key without the peer header is refused (403 not_a_peer); so is a header naming no peer', async () => {
    const url = `${c.url}/v1/internal/events`;
    const plain = await postJson(url, { events: [prompt(1)] }, auth);
    expect(plain.status).toBe(403);
    expect(plain.json).toMatchObject({ error: { code: 'not_a_peer' } });
    for (const from of ['http://10.9.9.9:4318', self]) {
      const forged = await postJson(
        url,
        { events: [prompt(1)] },
        { ...auth, 'x-bulwark-forwarded-by': from },
      );
      expect(forged.status).toBe(403);
    }
    // A peer still needs valid credentials.
    const noKey = await postJson(url, { events: [prompt(1)] }, { 'x-bulwark-forwarded-by': peer });
    expect(noKey.status).toBe(401);
    const ok = await postJson(url, { events: [prompt(1)] }, { ...auth, 'x-bulwark-forwarded-by': peer });
    expect(ok).toMatchObject({ status: 200, json: { ingested: 1 } });
  });

  it('applies maxVerdictEvents, maxVerdictValueBytes and maxJsonDepth', async () => {
    const url = `${c.url}/v1/internal/events`;
    const h = { ...auth, 'x-bulwark-forwarded-by': peer };
    const many = await postJson(url, { events: Array.from({ length: 1_001 }, (_, i) => prompt(i)) }, h);
    expect(many).toMatchObject({ status: 413, json: { error: { code: 'too_many_events' } } });
    const big = await postJson(url, { events: [prompt(1, 'x'.repeat(1024 * 1024 + 1))] }, h);
    expect(big).toMatchObject({ status: 413, json: { error: { code: 'value_too_large' } } });
    let deep: unknown = 'x';
    for (let i = 0; i < 70; i++) deep = [deep];
    const tooDeep = await postJson(url, { events: [{ ...prompt(1), extra: deep }] }, h);
    expect(tooDeep).toMatchObject({ status: 400, json: { error: { code: 'too_deep' } } });
    const invalid = await postJson(url, { events: [prompt(1), { kind: 'nope' }] }, h);
    expect(invalid).toMatchObject({ status: 400, json: { error: { code: 'invalid_request' } } });
    expect(JSON.stringify(invalid.json)).toContain('events.1');
  });
});

describe('/v1/internal/events without peers configured', () => {
  it('is refused: 403 not_a_peer', async () => {
    const c = await startTestCollector({ apiKeys: [KEY] });
    try {
      const res = await postJson(
        `${c.url}/v1/internal/events`,
        { events: [prompt(1)] },
        { ...auth, 'x-bulwark-forwarded-by': 'http://127.0.0.1:1' },
      );
      expect(res.status).toBe(403);
    } finally {
      await c.close();
    }
  });
});
