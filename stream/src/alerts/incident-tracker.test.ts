import type { Alert, Finding, Severity } from '@bulwark/contracts';
import { describe, expect, it } from 'vitest';
import { StreamMetrics } from '../worker/stream-metrics.js';
import { IncidentTracker, incidentKey } from './incident-tracker.js';

const MIN = 60_000;
let n = 0;
function f(session: string, t: number, severity: Severity = 'high', detectorId = 'injection.chain'): Finding {
  n += 1;
  return {
    findingId: `f${n}`,
    detectorId,
    severity,
    decision: 'block',
    title: `finding ${n}`,
    description: '',
    tenantId: 'acme',
    sessionId: session,
    agentId: 'agent-1',
    evidence: [],
    timestampMillis: t,
  };
}

async function run(tracker: IncidentTracker, findings: Finding[]): Promise<Alert[]> {
  return tracker.process(findings, async () => {});
}

describe('IncidentTracker', () => {
  it('groups findings of one session into one incident alert per batch', async () => {
    const t = new IncidentTracker();
    const alerts = await run(t, [f('s1', 0), f('s1', 1_000, 'critical'), f('s2', 500)]);
    expect(alerts).toHaveLength(2);
    const s1 = alerts.find((a) => a.sessionId === 's1')!;
    expect(s1).toMatchObject({
      dedupKey: incidentKey('acme', 's1'),
      severity: 'critical',
      action: 'trigger',
      firstSeenMillis: 0,
      lastSeenMillis: 1_000,
    });
    expect(s1.findings).toHaveLength(2);
  });

  it('does not re-page within the suppression window, escalates on higher severity, re-pages after it', async () => {
    const metrics = new StreamMetrics();
    const t = new IncidentTracker({ suppressionWindowMillis: 30 * MIN, metrics });
    expect(await run(t, [f('s1', 0, 'high')])).toHaveLength(1);
    expect(await run(t, [f('s1', 5 * MIN, 'high'), f('s1', 6 * MIN, 'medium')])).toHaveLength(0);
    const escalated = await run(t, [f('s1', 10 * MIN, 'critical')]);
    expect(escalated.map((a) => a.severity)).toEqual(['critical']);
    expect(await run(t, [f('s1', 20 * MIN, 'critical')])).toHaveLength(0);
    expect(await run(t, [f('s1', 41 * MIN, 'high')])).toHaveLength(1);
    expect(metrics.value('alerts_suppressed_total')).toBe(3);
    expect(metrics.value('alerts_raised_total')).toBe(3);
  });

  it('ignores findings below the minimum severity', async () => {
    const t = new IncidentTracker({ minSeverity: 'high' });
    expect(await run(t, [f('s1', 0, 'medium'), f('s1', 1, 'low')])).toEqual([]);
  });

  it('re-raises the same alert (same id) when delivery failed, and only then remembers it', async () => {
    const t = new IncidentTracker();
    const batch = [f('s1', 0)];
    const failed = await t
      .process(batch, async () => {
        throw new Error('bus down');
      })
      .catch(() => 'failed');
    expect(failed).toBe('failed');
    const first = await run(t, batch);
    expect(first).toHaveLength(1);
    const again = new IncidentTracker();
    expect((await run(again, batch))[0]!.alertId).toBe(first[0]!.alertId);
    expect(await run(t, batch)).toEqual([]);
  });
});
