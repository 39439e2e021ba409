import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DetectionEngine, type Detector } from '@bulwark/detectors';
import { ChdbEventStore, runRetroHunt } from '@bulwark/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedHuntStore } from './fixtures/seed-hunt-store.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-hunt-'));
let store: ChdbEventStore;
const now = Date.now();

beforeAll(async () => {
  store = await ChdbEventStore.open({ dataDir });
});
afterAll(async () => {
  await store.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('runRetroHunt', () => {
  it('finds the injection chain the permissive inline policy had allowed', async () => {
    const inline = await seedHuntStore(store, 'acme', now);
    expect(inline.every((v) => v.verdict.decision === 'allow')).toBe(true);

    const res = await runRetroHunt({ store, sinceMillis: now - 86_400_000 });
    if (!res.ok) throw new Error(res.message);
    const r = res.report;
    expect(r.sessionsScanned).toBe(2); // the 10-day-old session is outside --since
    expect(r.sessions.map((s) => s.sessionId)).toEqual(['attack']);
    const missed = r.sessions[0]!.hits.filter((h) => h.missedInline);
    expect(missed).toEqual([
      expect.objectContaining({
        detectorId: 'injection.chain',
        decision: 'block',
        toolName: 'send_money',
        toolCallId: 'c2',
        inlineDecision: 'allow',
      }),
    ]);
    expect(r.missedInline).toBe(1);
    // The injected result itself is reported too (an alert, not a missed call).
    expect(r.sessions[0]!.hits.some((h) => h.toolCallId === undefined && h.decision === 'alert')).toBe(true);
  });

  it('looks further back with an earlier --since, and filters by tenant', async () => {
    const all = await runRetroHunt({ store, sinceMillis: now - 30 * 86_400_000 });
    expect(all.ok && all.report.sessions.map((s) => s.sessionId).sort()).toEqual(['attack', 'old-attack']);
    const other = await runRetroHunt({ store, sinceMillis: 0, tenantId: 'someone-else' });
    expect(other.ok && other.report.sessionsScanned).toBe(0);
  });

  it('runs whatever detectors it is given (a custom rule over stored sessions)', async () => {
    const noBalance: Detector = {
      id: 'custom.no-balance',
      description: 'flags balance lookups',
      defaultSeverity: 'low',
      onToolCall: (call) =>
        call.toolName === 'get_balance'
          ? [
              {
                severity: 'low',
                decision: 'require_approval',
                title: 'balance lookup',
                message: 'balance lookups need approval',
                evidence: [],
              },
            ]
          : [],
    };
    const res = await runRetroHunt({
      store,
      sinceMillis: now - 86_400_000,
      createEngine: () => new DetectionEngine({ detectors: [noBalance] }),
    });
    if (!res.ok) throw new Error(res.message);
    expect(
      res.report.sessions.map((s) => [
        s.sessionId,
        s.hits.map((h) => [h.detectorId, h.toolName, h.inlineDecision, h.missedInline]),
      ]),
    ).toEqual([['benign', [['custom.no-balance', 'get_balance', 'allow', true]]]]);
  });

  it('answers a closed store with a value', async () => {
    const s = await ChdbEventStore.open({ dataDir, database: 'closed_one' });
    await s.shutdown();
    expect(await runRetroHunt({ store: s, sinceMillis: 0 })).toMatchObject({ ok: false, reason: 'closed' });
  });
});
