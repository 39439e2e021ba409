import { sessionKey, type Verdict } from '@bulwark/contracts';
import { DetectionEngine } from '@bulwark/detectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCollector, SessionRouter } from '../src/index.js';
import {
  freePort,
  http,
  MARKER,
  metricValue,
  otlpRequest,
  postJson,
  promptSpan,
  sessionMemoryDetector,
  startTestCollector,
  waitFor,
} from './helpers.js';

const verdictBody = (sessionId: string, events: unknown[] = []) => ({
  sessionId,
  toolCall: { toolCallId: `c-${Math.random()}`, toolName: 'send_email', arguments: { to: 'x@example.com' } },
  events,
});

describe('session affinity across two instances', () => {
  let a: RunningCollector;
  let b: RunningCollector | undefined;
  let urlA: string;
  let urlB: string;
  const detA = sessionMemoryDetector();
  const detB = sessionMemoryDetector();
  let ownedByA: string;
  let ownedByB: string;

  beforeAll(async () => {
    urlA = `http://127.0.0.1:${await freePort()}`;
    urlB = `http://127.0.0.1:${await freePort()}`;
    const peers = [urlA, urlB];
    const common = { peers, peerTimeoutMillis: 500, peerDownMillis: 60_000 };
    a = await startTestCollector({
      ...common,
      port: Number(new URL(urlA).port),
      selfUrl: urlA,
      engine: new DetectionEngine({ detectors: [detA] }),
    });
    b = await startTestCollector({
      ...common,
      port: Number(new URL(urlB).port),
      selfUrl: urlB,
      engine: new DetectionEngine({ detectors: [detB] }),
    });
    // Every instance computes the same owner; find one session each instance owns.
    const routerA = new SessionRouter(peers, urlA, 1);
    for (let i = 0; !ownedByA || !ownedByB; i += 1) {
      const s = `affinity-${i}`;
      if (routerA.ownerOf('default', s) === undefined) ownedByA ??= s;
      else ownedByB ??= s;
    }
  });
  afterAll(async () => {
    await a.close();
    await b?.close();
  });

  it('applies exported events on the instance that owns the session', async () => {
    const res = await postJson(
      `${a.url}/v1/traces`,
      otlpRequest([promptSpan(ownedByA, `a says ${MARKER}`), promptSpan(ownedByB, `b says ${MARKER}`)]),
    );
    expect(res.status).toBe(200);
    // Exported events are applied to session state in the background, in small slices.
    await waitFor(() => detA.seen.has(sessionKey('default', ownedByA)), 5_000, 'A applies its session');
    await waitFor(() => detB.seen.has(sessionKey('default', ownedByB)), 5_000, 'B applies its session');
    expect(detA.seen.has(sessionKey('default', ownedByA))).toBe(true);
    expect(detA.seen.has(sessionKey('default', ownedByB))).toBe(false);
    expect(detB.seen.has(sessionKey('default', ownedByB))).toBe(true);
    const metricsA = (await http(`${a.url}/metrics`)).text;
    expect(
      metricValue(metricsA, 'bulwark_collector_peer_forwards_total', { kind: 'events', outcome: 'ok' }),
    ).toBe(1);
  });

  it('forwards a verdict request to the owner, which answers from its state', async () => {
    const viaA = await postJson(`${a.url}/v1/verdicts`, verdictBody(ownedByB));
    expect(viaA.status).toBe(200);
    expect((viaA.json as Verdict).decision).toBe('block');
    const viaB = await postJson(`${b!.url}/v1/verdicts`, verdictBody(ownedByA));
    expect((viaB.json as Verdict).decision).toBe('block');
    const metricsA = (await http(`${a.url}/metrics`)).text;
    expect(
      metricValue(metricsA, 'bulwark_collector_verdicts_total', { decision: 'block', source: 'peer' }),
    ).toBe(1);
    const metricsB = (await http(`${b!.url}/metrics`)).text;
    // B decided both: the one forwarded by A, and the one it forwarded itself came back from A.
    expect(
      metricValue(metricsB, 'bulwark_collector_verdicts_total', { decision: 'block', source: 'local' }),
    ).toBe(1);
  });

  it('answers locally when the owner is unreachable, with the events the request carries', async () => {
    await b!.close();
    b = undefined;
    // No history here for B's session: allowed, but answered rather than failed.
    const blind = await postJson(`${a.url}/v1/verdicts`, verdictBody(ownedByB));
    expect(blind.status).toBe(200);
    expect((blind.json as Verdict).decision).toBe('allow');
    // The SDK sends the events it observed with the request: a fresh instance still decides on them.
    const withHistory = await postJson(
      `${a.url}/v1/verdicts`,
      verdictBody(ownedByB, [
        {
          kind: 'prompt',
          eventId: 'p-sdk-1',
          sessionId: ownedByB,
          timestampMillis: Date.now(),
          role: 'user',
          content: `sdk saw ${MARKER}`,
        },
      ]),
    );
    expect((withHistory.json as Verdict).decision).toBe('block');
    // Exported events for B's sessions are now kept on A.
    const exported = await postJson(`${a.url}/v1/traces`, otlpRequest([promptSpan(ownedByB, 'more')]));
    expect(exported.status).toBe(200);
    const metricsA = (await http(`${a.url}/metrics`)).text;
    expect(
      metricValue(metricsA, 'bulwark_collector_peer_forwards_total', { kind: 'verdict', outcome: 'failed' }),
    ).toBe(1);
    expect(
      metricValue(metricsA, 'bulwark_collector_peer_forwards_total', {
        kind: 'verdict',
        outcome: 'skipped_down',
      }),
    ).toBe(1);
    expect(
      metricValue(metricsA, 'bulwark_collector_peer_forwards_total', {
        kind: 'events',
        outcome: 'skipped_down',
      }),
    ).toBe(1);
  });
});
