import { describe, expect, it } from 'vitest';
import type { DetectorContext } from '../../engine/detector.js';
import { DEFAULT_POLICY } from '../../engine/policy.js';
import { SessionGraph } from '../../session/session-graph.js';
import { SequenceAnomalyDetector } from './sequence-anomaly-detector.js';

function ctx(sessionId: string, graph: SessionGraph): DetectorContext {
  return {
    tenantId: 't',
    sessionId,
    agentId: 'a',
    nowMillis: 0,
    session: graph,
    policy: { ...DEFAULT_POLICY, sequence: { ...DEFAULT_POLICY.sequence, warmupSessions: 3 } },
  };
}

function session(d: SequenceAnomalyDetector, id: string, tools: string[]) {
  const g = new SessionGraph('t', id);
  const out = [];
  for (const [i, t] of tools.entries()) {
    out.push(...d.onToolCall({ toolCallId: `${id}-${i}`, toolName: t, arguments: {} }, ctx(id, g)));
    g.recordCall(`${id}-${i}`, t, `${id}-${i}`, 0, new Map());
  }
  return out;
}

describe('sequence.anomaly', () => {
  it('stays silent during warm-up, then flags unseen tools; never blocks by default', () => {
    const d = new SequenceAnomalyDetector();
    for (let i = 0; i < 3; i++) expect(session(d, `s${i}`, ['search', 'read', 'summarize'])).toEqual([]);
    expect(session(d, 'ok', ['search', 'read', 'summarize'])).toEqual([]);
    const odd = session(d, 'odd', ['search', 'delete_all']);
    expect(odd).toHaveLength(1);
    expect(odd[0]).toMatchObject({ decision: 'alert', title: expect.stringMatching(/never used/) });
  });

  it('saves and loads its model', () => {
    const d = new SequenceAnomalyDetector();
    for (let i = 0; i < 5; i++) session(d, `s${i}`, ['a', 'b']);
    const copy = new SequenceAnomalyDetector();
    copy.load(JSON.parse(JSON.stringify(d.toJSON())));
    expect(copy.toJSON()).toEqual(d.toJSON());
    expect(session(copy, 'x', ['zzz'])).toHaveLength(1);
    expect(() => copy.load({ version: 2 })).toThrow(/sequence model is invalid/);
  });
});
