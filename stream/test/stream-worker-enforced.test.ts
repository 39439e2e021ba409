import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AgentEvent, AgentEventSchema, sessionKey, type Verdict } from '@bulwark/contracts';
import {
  type BusVerdict,
  ChdbEventStore,
  FAIL_CLOSED_ALERT_ID,
  InProcessEventBus,
  QUERIES,
  StreamWorker,
} from '@bulwark/stream';
import { afterAll, describe, expect, it, vi } from 'vitest';

const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-worker-enforced-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function refused(sessionId: string, toolCallId: string, t: number): AgentEvent {
  return AgentEventSchema.parse({
    kind: 'tool_call',
    eventId: `e-${sessionId}-${toolCallId}`,
    tenantId: 't1',
    sessionId,
    timestampMillis: t,
    toolCallId,
    toolName: 'send_email',
    enforced: { decision: 'block', source: 'fallback_timeout' },
  });
}

describe('StreamWorker: enforced decisions and after-the-fact verdicts', () => {
  it('raises one "agents failing closed" alert per tenant and window; stores the collector’s stream verdicts', async () => {
    const store = await ChdbEventStore.open({ dataDir, batching: { flushIntervalMillis: 20 } });
    const bus = new InProcessEventBus();
    const worker = new StreamWorker({
      bus,
      store,
      detect: false,
      flushBusBeforeCommit: false,
      failClosedAlert: { minCalls: 2, windowMillis: 300_000 },
    });
    await worker.start();
    try {
      const t0 = Math.floor(Date.now() / 300_000) * 300_000 - 300_000;
      const publish = (events: AgentEvent[]) =>
        bus.publish(
          'events',
          events.map((e) => ({ key: sessionKey(e.tenantId, e.sessionId), value: e })),
        );
      const alerts = async () => {
        const r = await store.query(QUERIES.alertsSince, { tenantId: 't1', sinceMillis: 0, limit: 10 });
        if (!r.ok) throw new Error(r.message);
        return r.rows;
      };
      const stored = async (n: number) =>
        vi.waitFor(
          async () => {
            const r = await store.query(QUERIES.tenantStats, { tenantId: 't1' });
            expect(r.ok && r.rows.find((x) => x.table === 'tool_calls')?.distinctIds).toBe(n);
          },
          { timeout: 20_000 },
        );
      // One call, twice (span and verdict request): below the threshold.
      await publish([refused('s1', 'c1', t0 + 1_000), refused('s1', 'c1', t0 + 1_000)]);
      await stored(1);
      expect(await alerts()).toHaveLength(0);
      await publish([refused('s2', 'c1', t0 + 2_000), refused('s2', 'c2', t0 + 3_000)]);
      await vi.waitFor(async () => expect(await alerts()).toHaveLength(1), { timeout: 20_000 });
      // Same window again: no second alert.
      await publish([refused('s3', 'c1', t0 + 4_000)]);
      await stored(4);
      await new Promise((r) => setTimeout(r, 300));
      expect(await alerts()).toHaveLength(1);
      const [alert] = await alerts();
      expect(alert).toMatchObject({
        title: 'Agents failing closed: 3 calls refused without a verdict in 5 min',
        severity: 'high',
        detectorIds: [FAIL_CLOSED_ALERT_ID],
        sessionId: 's2',
      });

      // The collector's after-the-fact verdict (not stored by it) is stored as origin stream; the worker's own
      // stream verdicts (recorded) are not stored twice.
      const v: Verdict = {
        decision: 'block',
        reasons: [],
        detectorIds: ['injection.chain'],
        decisionTimeMicros: 0,
        tenantId: 't1',
        sessionId: 's9',
        toolCallId: 'c1',
        toolName: 'send_email',
        source: 'engine',
        timestampMillis: t0,
      };
      const late: BusVerdict = { ...v, origin: 'stream', recorded: false, inlineDecision: 'allow' };
      const own: BusVerdict = { ...v, toolCallId: 'c2', origin: 'stream' };
      await bus.publish('verdicts', [
        { key: sessionKey('t1', 's9'), value: late },
        { key: sessionKey('t1', 's9'), value: own },
      ]);
      await vi.waitFor(
        async () => {
          const r = await store.query(QUERIES.sessionVerdicts, { tenantId: 't1', sessionId: 's9' });
          expect(r.ok && r.rows.map((x) => [x.verdict.toolCallId, x.origin])).toEqual([['c1', 'stream']]);
        },
        { timeout: 20_000 },
      );
    } finally {
      await worker.shutdown();
      await bus.shutdown();
      await store.shutdown();
    }
  });
});
