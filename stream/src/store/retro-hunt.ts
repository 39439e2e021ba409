import { DECISION_RANK, type Decision, type Severity } from '@bulwark/contracts';
import { DetectionEngine } from '@bulwark/detectors';
import type { EventStore } from './event-store.js';
import { QUERIES, type RefusedToolCallRow, type SessionSummary } from './queries.js';

export interface RetroHuntOptions {
  store: EventStore;
  /** Sessions with activity at or after this time are re-examined (all of their stored events). */
  sinceMillis: number;
  /** One tenant, or every tenant when absent. */
  tenantId?: string;
  /** At most this many sessions (most recent first). Default 10 000. */
  maxSessions?: number;
  /** The detectors to run: default the current built-in set with the default policy. */
  createEngine?: () => DetectionEngine;
  /** Called after each session, for progress output. */
  onSession?: (report: HuntSessionReport, index: number, total: number) => void;
}

/** One thing the current detectors catch in a stored session. */
export interface HuntHit {
  detectorId: string;
  decision: Decision;
  severity: Severity;
  title: string;
  toolName?: string | undefined;
  toolCallId?: string | undefined;
  eventId?: string | undefined;
  /** The decision made inline when the call ran (`undefined`: none recorded, e.g. telemetry only). */
  inlineDecision?: Decision | undefined;
  /** A call the inline decision let run that the detectors would now block or hold for approval. */
  missedInline: boolean;
}

export interface HuntSessionReport {
  tenantId: string;
  sessionId: string;
  agentId: string | undefined;
  /** The agent's name from the session's events (SDK sessions often have a name and no id). */
  agentName?: string | undefined;
  events: number;
  toolCalls: number;
  hits: HuntHit[];
}

export interface HuntReport {
  sinceMillis: number;
  sessionsScanned: number;
  sessionsWithHits: number;
  hits: number;
  /** Hits on calls the inline decision had let through more permissively. */
  missedInline: number;
  /** Only sessions with hits. */
  sessions: HuntSessionReport[];
  /**
   * Tool calls since `sinceMillis` that their client refused without a verdict (a fallback `block`: timeout,
   * unreachable or failing verdict service), by fallback source. They never ran, whatever verdict came later.
   */
  refusedWithoutVerdict: { total: number; bySource: Record<string, number> };
  /** Those calls, newest first (at most `REFUSED_CALLS_LIMIT`), with the agent's name when the hunt saw it. */
  refusedCalls?: (RefusedToolCallRow & { agentName?: string | undefined })[];
}

/** Refused calls listed in a hunt report (the count covers them all). */
const REFUSED_CALLS_LIMIT = 200;

export type HuntResult =
  | { ok: true; report: HuntReport }
  | { ok: false; reason: 'unavailable' | 'invalid' | 'closed'; message: string };

/**
 * Retro-hunt: replays stored sessions (events in order, from the store) through the current detectors and
 * reports what they would catch now - especially tool calls the inline decision had allowed. Read-only: it
 * writes nothing back. Sessions are replayed oldest first through one engine, like the live pipeline.
 *
 * @example
 * const res = await runRetroHunt({ store, sinceMillis: Date.now() - 7 * 86_400_000 });
 * if (res.ok) for (const s of res.report.sessions) console.log(s.sessionId, s.hits);
 */
export async function runRetroHunt(options: RetroHuntOptions): Promise<HuntResult> {
  const { store } = options;
  const listed = await store.query(QUERIES.sessionsActiveSince, {
    sinceMillis: Math.max(0, Math.floor(options.sinceMillis)),
    tenantId: options.tenantId ?? '',
    limit: options.maxSessions ?? 10_000,
  });
  if (!listed.ok) return { ok: false, reason: listed.reason, message: listed.message };
  const sessions: SessionSummary[] = [...listed.rows].sort(
    (a, b) =>
      a.firstSeenMillis - b.firstSeenMillis || cmp(a.tenantId, b.tenantId) || cmp(a.sessionId, b.sessionId),
  );
  const engine = (options.createEngine ?? (() => new DetectionEngine()))();
  const report: HuntReport = {
    sinceMillis: options.sinceMillis,
    sessionsScanned: sessions.length,
    sessionsWithHits: 0,
    hits: 0,
    missedInline: 0,
    sessions: [],
    refusedWithoutVerdict: { total: 0, bySource: {} },
    refusedCalls: [],
  };
  const enforced = await store.query(QUERIES.enforcedDecisions, {
    tenantId: options.tenantId ?? '',
    sinceMillis: Math.max(0, Math.floor(options.sinceMillis)),
    untilMillis: Number.MAX_SAFE_INTEGER,
  });
  if (!enforced.ok) return { ok: false, reason: enforced.reason, message: enforced.message };
  for (const r of enforced.rows) {
    if (r.source === 'verdict' || r.decision !== 'block') continue;
    report.refusedWithoutVerdict.total += r.calls;
    report.refusedWithoutVerdict.bySource[r.source] =
      (report.refusedWithoutVerdict.bySource[r.source] ?? 0) + r.calls;
  }
  if (report.refusedWithoutVerdict.total > 0) {
    const refused = await store.query(QUERIES.refusedToolCalls, {
      tenantId: options.tenantId ?? '',
      sinceMillis: Math.max(0, Math.floor(options.sinceMillis)),
      untilMillis: Number.MAX_SAFE_INTEGER,
      limit: REFUSED_CALLS_LIMIT,
    });
    if (!refused.ok) return { ok: false, reason: refused.reason, message: refused.message };
    report.refusedCalls = refused.rows;
  }
  // Agent names of the sessions replayed, for the refused calls.
  const agentNames = new Map<string, string>();
  for (const [i, s] of sessions.entries()) {
    const key = { tenantId: s.tenantId, sessionId: s.sessionId };
    const events = await store.query(QUERIES.sessionEvents, key);
    if (!events.ok) return { ok: false, reason: events.reason, message: events.message };
    const verdicts = await store.query(QUERIES.sessionVerdicts, key);
    if (!verdicts.ok) return { ok: false, reason: verdicts.reason, message: verdicts.message };
    // The strictest inline decision recorded per tool call.
    const inline = new Map<string, Decision>();
    for (const v of verdicts.rows) {
      if (v.origin !== 'inline') continue;
      const prev = inline.get(v.verdict.toolCallId);
      if (!prev || DECISION_RANK[v.verdict.decision] > DECISION_RANK[prev])
        inline.set(v.verdict.toolCallId, v.verdict.decision);
    }
    const session: HuntSessionReport = {
      tenantId: s.tenantId,
      sessionId: s.sessionId,
      agentId: s.agentId,
      agentName: events.rows.find((e) => e.agentName)?.agentName,
      events: events.rows.length,
      toolCalls: 0,
      hits: [],
    };
    for (const e of events.rows) {
      const out = engine.ingest(e);
      const call = e.kind === 'tool_call' ? e : undefined;
      if (call) session.toolCalls += 1;
      for (const f of out.findings) {
        const inlineDecision = call ? inline.get(call.toolCallId) : undefined;
        // Only a call can have been let through, and only a stopping decision (block, approval) counts;
        // a call without a recorded inline decision ran unchecked.
        const stops = f.decision === 'block' || f.decision === 'require_approval';
        const missedInline =
          call !== undefined && stops && DECISION_RANK[f.decision] > DECISION_RANK[inlineDecision ?? 'allow'];
        session.hits.push({
          detectorId: f.detectorId,
          decision: f.decision,
          severity: f.severity,
          title: f.title,
          toolName: f.toolName ?? call?.toolName,
          toolCallId: call?.toolCallId,
          eventId: f.eventId,
          inlineDecision,
          missedInline,
        });
      }
    }
    if (session.agentName) agentNames.set(`${s.tenantId}\u0000${s.sessionId}`, session.agentName);
    if (session.hits.length > 0) {
      report.sessions.push(session);
      report.sessionsWithHits += 1;
      report.hits += session.hits.length;
      report.missedInline += session.hits.filter((h) => h.missedInline).length;
    }
    options.onSession?.(session, i, sessions.length);
  }
  for (const c of report.refusedCalls ?? []) {
    const name = agentNames.get(`${c.tenantId}\u0000${c.sessionId}`);
    if (name) c.agentName = name;
  }
  return { ok: true, report };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
