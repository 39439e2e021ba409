import {
  type AgentEvent,
  DECISION_RANK,
  type Decision,
  type Finding,
  type PendingToolCall,
  type Reason,
  SEVERITY_RANK,
  sessionKey,
  stableHash,
  stableStringify,
  stricterDecision,
  type ToolDefinition,
  type Verdict,
  type VerdictRequest,
} from '@bulwark/contracts';
import { RiskyArgsDetector } from '../rules/args.risky/risky-args-detector.js';
import { ExfilFlowDetector } from '../rules/exfil.sensitive-flow/exfil-flow-detector.js';
import { InjectionChainDetector } from '../rules/injection.chain/injection-chain-detector.js';
import { PolicyRuleDetector } from '../rules/policy.rule/policy-rule-detector.js';
import { SequenceAnomalyDetector } from '../rules/sequence.anomaly/sequence-anomaly-detector.js';
import { ToolPoisoningDetector } from '../rules/tools.poisoning/tool-poisoning-detector.js';
import { ToolRugPullDetector } from '../rules/tools.rug-pull/tool-rug-pull-detector.js';
import { ToolShadowingDetector } from '../rules/tools.shadowing/tool-shadowing-detector.js';
import { analyzeCall } from '../session/analyze-call.js';
import {
  DEFAULT_SESSION_LIMITS,
  SessionGraph,
  type SessionLimits,
  type TextAnalyzer,
} from '../session/session-graph.js';
import { AnalysisCache, type AnalysisCacheStats } from '../text/analysis-cache.js';
import { fastHash128Hex } from '../text/fast-hash.js';
import { analyzeText } from '../text/text-analysis.js';
import { analyzeValue, type ValueAnalysis } from '../text/value-analysis.js';
import type { ToolLock } from '../tools/tool-lock.js';
import type { Detector, DetectorContext, DetectorOutcome } from './detector.js';
import {
  DEFAULT_POLICY,
  type Policy,
  type PolicySections,
  type ResolvedPolicy,
  resolvePolicy,
  sectionsFor,
} from './policy.js';
import { applyProfileOverride, inferToolProfile, type ToolProfile } from './tool-profile.js';

/** Engine-wide bounds. */
export interface EngineLimits {
  /** Sessions held; the least recently active is evicted beyond it. */
  maxSessions: number;
  /** `evictIdle(now)` drops sessions idle longer than this. */
  sessionIdleMillis: number;
  session: SessionLimits;
}

export const DEFAULT_ENGINE_LIMITS: EngineLimits = {
  maxSessions: 50_000,
  sessionIdleMillis: 60 * 60 * 1000,
  session: DEFAULT_SESSION_LIMITS,
};

/** Options of the engine. Everything has a default; the default is what `eval agentdojo` measures. */
export interface DetectionEngineOptions {
  /** Replaces the built-in detectors entirely. */
  detectors?: readonly Detector[];
  /** Runs after the built-in detectors (e.g. the tool-poisoning and rug-pull detectors with a lock file). */
  extraDetectors?: readonly Detector[];
  policy?: Policy;
  /** Pinned tool definitions (`bulwark.lock.json`) for `tools.rug-pull`; without it the first listing is the baseline. */
  toolLock?: ToolLock;
  limits?: Partial<EngineLimits>;
  /** Monotonic clock in microseconds, used only to report decision time (injected: the engine reads no clock). */
  monotonicMicros?: () => number;
  /**
   * The text analysis cache. Default: one per engine with default bounds. Pass one to share it between
   * engines in a process (entries hold no session data), or `false` to analyse every text every time.
   */
  analysisCache?: AnalysisCache | false;
}

/** Bound of the engine's memo tables (resolved policies, tool profiles); cleared when exceeded. */
const MAX_MEMO_ENTRIES = 10_000;

/** A verdict with the findings that explain it. */
export interface EngineResult {
  verdict: Verdict;
  findings: Finding[];
}

/** What ingesting one event produced: findings, and for a tool call seen after the fact, its verdict. */
export interface IngestResult {
  findings: Finding[];
  verdict?: Verdict;
  /**
   * Calls decided earlier that this event's late evidence makes stricter: the verdict they would have got.
   * Their findings (including an `engine.late-evidence` one when the call ran) are in `findings`.
   */
  reevaluations?: Reevaluation[];
}

/** A call decided inline, re-checked because evidence arrived after its decision, and found stricter. */
export interface Reevaluation {
  verdict: Verdict;
  /** The inline decision the call got (what the re-evaluation is stricter than). */
  inlineDecision: Decision;
  /** True unless the call is known not to have run (its client reported refusing it). */
  executed: boolean;
  agentId?: string | undefined;
}

/** Id of the finding raised when a call that ran would have been stopped on late evidence. */
export const LATE_EVIDENCE_DETECTOR_ID = 'engine.late-evidence';

/** A call decided inline, remembered so that evidence arriving later can re-check it. */
interface DecidedCall {
  call: PendingToolCall;
  agentId: string | undefined;
  inline: Decision;
  /** The strictest decision known so far: inline, then each stricter re-evaluation. */
  strictest: Decision;
  /** Event time of the call: its decision time, or its tool_call event's time when that is later. */
  atMillis: number;
  /** The session's evidence version (`SessionGraph.version`) when last evaluated. */
  version: number;
  /** What the client enforced, when its tool_call event said. */
  enforced?: Decision;
}

/** Decided calls remembered per session for re-checks (the oldest forgotten first). */
const MAX_DECIDED_PER_SESSION = 64;

/**
 * Runs every detector on each event and tool call over a per-session provenance graph and returns one
 * verdict: the strictest decision wins, every reason is kept. Pure: no I/O, no clock, no randomness — time
 * comes from the events and requests, so the same events always give the same verdicts.
 *
 * @example
 * const engine = new DetectionEngine();
 * engine.ingest(promptEvent);
 * const { verdict } = engine.decide({ sessionId: 's1', toolCall: { toolCallId: 'c1', toolName: 'send_money', arguments: { iban } }, events: [] });
 */
export class DetectionEngine {
  private readonly detectors: readonly Detector[];
  private readonly micros: () => number;
  private readonly limits: EngineLimits;
  private readonly sessions = new Map<string, SessionGraph>();
  /** Calls decided inline, per session (dropped with the session). */
  private readonly decided = new WeakMap<SessionGraph, Map<string, DecidedCall>>();
  private readonly profiles = new Map<string, { definition: string | undefined; profile: ToolProfile }>();
  /** Resolved policy per tenant, server and tool, for the current policy. */
  private readonly resolved = new Map<string, ResolvedPolicy>();
  /** Sections per tenant, for the current policy. */
  private readonly sections = new Map<string, PolicySections>();
  private readonly cache: AnalysisCache | undefined;
  private readonly analyze: TextAnalyzer;
  private readonly analyzeValue: (value: string) => ValueAnalysis;
  private currentPolicy: Policy;

  constructor(options: DetectionEngineOptions = {}) {
    this.currentPolicy = options.policy ?? DEFAULT_POLICY;
    this.cache = options.analysisCache === false ? undefined : (options.analysisCache ?? new AnalysisCache());
    const cache = this.cache;
    this.analyze = cache ? (text, trust) => cache.analyze(text, trust) : analyzeText;
    this.analyzeValue = cache ? (value) => cache.analyzeValue(value) : analyzeValue;
    this.detectors = options.detectors ?? [
      ...DetectionEngine.builtinDetectors(() => this.currentPolicy, options.toolLock),
      ...(options.extraDetectors ?? []),
    ];
    this.micros = options.monotonicMicros ?? (() => 0);
    this.limits = { ...DEFAULT_ENGINE_LIMITS, ...options.limits };
  }

  /**
   * The built-in detectors, in evaluation order. The tool-definition detectors take their call decisions from
   * the policy's `tools` section, read when a tool is flagged: a reloaded policy applies to tools flagged
   * after the reload, not to a drift already reported.
   */
  static builtinDetectors(policy: () => Policy = () => DEFAULT_POLICY, toolLock?: ToolLock): Detector[] {
    return [
      new InjectionChainDetector(),
      new ExfilFlowDetector(),
      new RiskyArgsDetector(),
      new SequenceAnomalyDetector(),
      new PolicyRuleDetector(policy),
      new ToolPoisoningDetector({ onPoisonedCall: () => policy().tools.poisoning }),
      new ToolShadowingDetector({ onShadowingCall: () => policy().tools.poisoning }),
      new ToolRugPullDetector({
        onDrift: () => policy().tools.drift,
        onUnpinned: () => policy().tools.unpinned,
        ...(toolLock ? { lock: toolLock } : {}),
      }),
    ];
  }

  get policy(): Policy {
    return this.currentPolicy;
  }

  /** Swaps the policy (hot reload). Takes effect for the next event. */
  setPolicy(policy: Policy): void {
    this.currentPolicy = policy;
    this.profiles.clear();
    this.resolved.clear();
    this.sections.clear();
  }

  /** Hit and miss counters of the text analysis cache (undefined when the engine runs without one). */
  cacheStats(): AnalysisCacheStats | undefined {
    return this.cache?.stats();
  }

  get detectorIds(): string[] {
    return this.detectors.map((d) => d.id);
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  /** The session's graph, if held (read-only use: evidence, tests, memory measurement). */
  session(tenantId: string, sessionId: string): SessionGraph | undefined {
    return this.sessions.get(sessionKey(tenantId, sessionId));
  }

  /** Drops sessions idle for longer than the limit at `nowMillis`. Returns how many were dropped. */
  evictIdle(nowMillis: number): number {
    let n = 0;
    for (const [k, s] of this.sessions) {
      if (nowMillis - s.lastActivityMillis > this.limits.sessionIdleMillis) {
        this.sessions.delete(k);
        n++;
      }
    }
    return n;
  }

  /** Applies one event to its session (idempotent by `eventId`) and runs the event detectors. */
  ingest(event: AgentEvent): IngestResult {
    const session = this.sessionFor(event.tenantId, event.sessionId);
    if (event.kind === 'tool_call') {
      const decided = event.toolCallId ? this.decided.get(session)?.get(event.toolCallId) : undefined;
      if (decided) {
        // The span of a call decided inline: its time and what was enforced are known now, and evidence
        // that arrived since its decision may change it.
        if (event.timestampMillis > decided.atMillis) decided.atMillis = event.timestampMillis;
        if (event.enforced) decided.enforced = event.enforced.decision;
        return this.recheck(session, [decided]);
      }
      // A call seen only after the fact (no inline verdict was asked): evaluate it as if asked, once.
      if (session.seen(event.eventId) || (event.toolCallId && session.seen(`call:${event.toolCallId}`)))
        return { findings: [] };
      session.markSeen(event.eventId);
      const call: PendingToolCall = {
        toolCallId: event.toolCallId || event.eventId,
        toolName: event.toolName,
        arguments: event.arguments,
      };
      if (event.server) call.server = event.server;
      const res = this.evaluate(session, call, event.agentId, event.timestampMillis, event.eventId);
      return { findings: res.findings, verdict: res.verdict };
    }
    const node = session.apply(event);
    if (!node && event.kind !== 'tool_definitions' && event.kind !== 'completion') return { findings: [] };
    const ctx = this.context(session, event.agentId, event.timestampMillis);
    if (node) ctx.node = node;
    const outcomes: Array<[Detector, DetectorOutcome]> = [];
    for (const d of this.detectors) {
      if (!d.onEvent) continue;
      for (const o of d.onEvent(event, ctx)) outcomes.push([d, o]);
    }
    const findings = outcomes.map(([d, o], i) => toFinding(d, o, ctx, event.eventId, i, undefined));
    if (!node) return { findings };
    // Evidence older than calls already decided (a client that asked before its spans arrived).
    const calls = this.decided.get(session);
    const stale: DecidedCall[] = [];
    if (calls)
      // A call's own result is left out of its re-check anyway (it echoes the arguments): no re-check for it,
      // which keeps the SDK's normal flow (results sent with the next request) free of re-checks.
      for (const c of calls.values())
        if (
          node.timestampMillis <= c.atMillis &&
          c.strictest !== 'block' &&
          node.toolCallId !== c.call.toolCallId
        )
          stale.push(c);
    if (stale.length === 0) return { findings };
    const late = this.recheck(session, stale);
    late.findings.unshift(...findings);
    return late;
  }

  /** The inline decision remembered for a call, if any (what the collector records beside the enforced one). */
  inlineDecision(tenantId: string, sessionId: string, toolCallId: string): Decision | undefined {
    const session = this.sessions.get(sessionKey(tenantId, sessionId));
    return session ? this.decided.get(session)?.get(toolCallId)?.inline : undefined;
  }

  /**
   * Re-runs the detectors on decided calls whose session gained evidence since, on the graph as the call
   * saw it in event time (later events and the call's own result left out). Pure with respect to session
   * and detector state: nothing is recorded, nothing learned. Returns a re-evaluation only when stricter
   * than everything decided on the call so far.
   */
  private recheck(session: SessionGraph, calls: readonly DecidedCall[]): IngestResult {
    const findings: Finding[] = [];
    const reevaluations: Reevaluation[] = [];
    for (const c of calls) {
      if (c.version === session.version) continue;
      const gained = gainedEvidence(session, c);
      c.version = session.version;
      if (!gained) continue;
      const view = session.viewAsOf(c.atMillis, c.call.toolCallId);
      const ctx = this.context(view, c.agentId, c.atMillis);
      ctx.reevaluation = true;
      const resolved = this.resolvedFor(session.tenantId, c.call);
      ctx.resolvedPolicy = resolved;
      ctx.call = analyzeCall(view, c.call, this.profileOf(session, c.call, resolved), this.analyzeValue);
      const outcomes: Array<[Detector, DetectorOutcome]> = [];
      for (const d of this.detectors) {
        if (!d.onToolCall || resolved.disabled.has(d.id)) continue;
        for (const o of d.onToolCall(c.call, ctx)) outcomes.push([d, o]);
      }
      const at = Math.max(c.atMillis, session.lastActivityMillis);
      const verdict = aggregate(outcomes, ctx, c.call, at);
      if (DECISION_RANK[verdict.decision] <= DECISION_RANK[c.strictest]) continue;
      c.strictest = verdict.decision;
      const executed = c.enforced !== 'block' && DECISION_RANK[c.inline] <= DECISION_RANK.alert;
      reevaluations.push({ verdict, inlineDecision: c.inline, executed, agentId: ctx.agentId });
      const stricter = outcomes.filter(([, o]) => DECISION_RANK[o.decision] > DECISION_RANK[c.inline]);
      const stops = verdict.decision === 'block' || verdict.decision === 'require_approval';
      if (executed && stops) findings.push(lateEvidenceFinding(ctx, c, verdict, stricter));
      stricter.forEach(([d, o], i) => {
        const f = toFinding(d, o, { ...ctx, nowMillis: at }, c.call.toolCallId, i, c.call);
        // Not the id of a finding the inline decision raised on the same call.
        f.findingId = fastHash128Hex(JSON.stringify(['recheck', f.findingId, verdict.decision]));
        findings.push(f);
      });
    }
    return reevaluations.length > 0 ? { findings, reevaluations } : { findings };
  }

  /** Decides on a pending tool call after applying the request's events. */
  decide(request: VerdictRequest): EngineResult {
    const started = this.micros();
    const tenantId = request.tenantId ?? 'default';
    const extra: Finding[] = [];
    for (const ev of request.events) {
      // Events travel with the request's tenant: a caller cannot write into another tenant's session.
      const scoped =
        ev.tenantId === tenantId && ev.sessionId === request.sessionId
          ? ev
          : { ...ev, tenantId, sessionId: request.sessionId };
      extra.push(...this.ingest(scoped).findings);
    }
    const session = this.sessionFor(tenantId, request.sessionId);
    const now = request.timestampMillis ?? Math.max(session.lastActivityMillis, lastTimestamp(request));
    const res = this.evaluate(session, request.toolCall, request.agentId, now, request.toolCall.toolCallId);
    this.remember(session, request.toolCall, request.agentId ?? session.agentId, res.verdict.decision, now);
    res.verdict.decisionTimeMicros = Math.max(0, this.micros() - started);
    if (extra.length > 0) res.findings.unshift(...extra);
    return res;
  }

  private remember(
    session: SessionGraph,
    call: PendingToolCall,
    agentId: string | undefined,
    decision: Decision,
    atMillis: number,
  ): void {
    let calls = this.decided.get(session);
    if (!calls) {
      calls = new Map();
      this.decided.set(session, calls);
    }
    const prev = calls.get(call.toolCallId);
    calls.delete(call.toolCallId);
    calls.set(call.toolCallId, {
      call,
      agentId,
      inline: decision,
      strictest: prev ? stricterDecision(prev.strictest, decision) : decision,
      atMillis,
      version: session.version,
    });
    if (calls.size > MAX_DECIDED_PER_SESSION) {
      const oldest = calls.keys().next().value;
      if (oldest !== undefined) calls.delete(oldest);
    }
  }

  private evaluate(
    session: SessionGraph,
    call: PendingToolCall,
    agentId: string | undefined,
    now: number,
    eventId: string,
  ): EngineResult {
    const ctx = this.context(session, agentId, now);
    const resolved = this.resolvedFor(session.tenantId, call);
    ctx.resolvedPolicy = resolved;
    const profile = this.profileOf(session, call, resolved);
    ctx.call = analyzeCall(session, call, profile, this.analyzeValue);
    const disabled = resolved.disabled;
    const outcomes: Array<[Detector, DetectorOutcome]> = [];
    for (const d of this.detectors) {
      if (!d.onToolCall || disabled.has(d.id)) continue;
      for (const o of d.onToolCall(call, ctx)) outcomes.push([d, o]);
    }
    const sources = new Map<string, number[]>();
    for (const a of ctx.call.args)
      if (a.sources.length > 0)
        sources.set(
          a.path,
          a.sources.map((n) => n.idx),
        );
    session.recordCall(call.toolCallId, call.toolName, eventId, now, sources);
    if (now > session.lastActivityMillis) session.lastActivityMillis = now;
    const findings = outcomes.map(([d, o], i) => toFinding(d, o, ctx, eventId, i, call));
    return { verdict: aggregate(outcomes, ctx, call, now), findings };
  }

  /** One resolved policy view per (tenant, server, tool): overrides, disabled detectors, rules, sections. */
  private resolvedFor(tenantId: string, call: PendingToolCall): ResolvedPolicy {
    // \u0001 stands for "no server", which matches differently from an empty server name.
    const key = `${tenantId}\u0000${call.server ?? '\u0001'}\u0000${call.toolName}`;
    let r = this.resolved.get(key);
    if (!r) {
      r = resolvePolicy(this.currentPolicy, tenantId, call.server, call.toolName);
      if (this.resolved.size >= MAX_MEMO_ENTRIES) this.resolved.clear();
      this.resolved.set(key, r);
    }
    return r;
  }

  private profileOf(session: SessionGraph, call: PendingToolCall, resolved: ResolvedPolicy): ToolProfile {
    const def = session.definitions.get(call.toolName);
    // Keyed by a fast hash of the definition; the definition text itself confirms a hit.
    const defined = def ? definitionKey(def) : undefined;
    const key = `${session.tenantId}\u0000${call.server ?? '\u0001'}\u0000${call.toolName}\u0000${defined ? defined.hash : Object.keys(call.arguments).sort().join(',')}`;
    const hit = this.profiles.get(key);
    if (hit && hit.definition === defined?.json) return hit.profile;
    let p = inferToolProfile(def ?? { name: call.toolName }, Object.keys(call.arguments));
    for (const o of resolved.overrides) p = applyProfileOverride(p, o.profile);
    if (this.profiles.size >= MAX_MEMO_ENTRIES) this.profiles.clear();
    this.profiles.set(key, { definition: defined?.json, profile: p });
    return p;
  }

  private sessionFor(tenantId: string, sessionId: string): SessionGraph {
    const key = sessionKey(tenantId, sessionId);
    let s = this.sessions.get(key);
    if (s) {
      this.sessions.delete(key);
      this.sessions.set(key, s);
      return s;
    }
    s = new SessionGraph(tenantId, sessionId, this.limits.session, this.analyze);
    this.sessions.set(key, s);
    if (this.sessions.size > this.limits.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    return s;
  }

  private context(session: SessionGraph, agentId: string | undefined, nowMillis: number): DetectorContext {
    return {
      tenantId: session.tenantId,
      sessionId: session.sessionId,
      agentId: agentId ?? session.agentId,
      nowMillis,
      session,
      policy: this.sectionsOf(session.tenantId),
    };
  }

  private sectionsOf(tenantId: string): PolicySections {
    let s = this.sections.get(tenantId);
    if (!s) {
      s = sectionsFor(this.currentPolicy, tenantId);
      if (this.sections.size >= MAX_MEMO_ENTRIES) this.sections.clear();
      this.sections.set(tenantId, s);
    }
    return s;
  }
}

/** Stable JSON and its fast hash per definition object (a session reuses the object for every call). */
const definitionKeys = new WeakMap<ToolDefinition, { json: string; hash: string }>();
function definitionKey(def: ToolDefinition): { json: string; hash: string } {
  let k = definitionKeys.get(def);
  if (!k) {
    const json = stableStringify(def);
    k = { json, hash: fastHash128Hex(json) };
    definitionKeys.set(def, k);
  }
  return k;
}

/**
 * True when nodes added since the call was last evaluated belong to its view: events at or before its time
 * that are not its own (its result, sent after its decision, is the SDK's normal flow and changes nothing).
 */
function gainedEvidence(session: SessionGraph, c: DecidedCall): boolean {
  const nodes = session.nodes;
  for (let i = nodes.length - 1; i >= 0 && nodes[i]!.idx > c.version; i--) {
    const n = nodes[i]!;
    if (n.timestampMillis <= c.atMillis && n.toolCallId !== c.call.toolCallId) return true;
  }
  return false;
}

/** The finding that makes an incident of a call that ran although late evidence says it should not have. */
function lateEvidenceFinding(
  ctx: DetectorContext,
  c: DecidedCall,
  verdict: Verdict,
  stricter: readonly (readonly [Detector, DetectorOutcome])[],
): Finding {
  const blocked = verdict.decision === 'block';
  const detectors = [...new Set(stricter.map(([d]) => d.id))];
  const f: Finding = {
    findingId: fastHash128Hex(
      JSON.stringify([
        LATE_EVIDENCE_DETECTOR_ID,
        ctx.tenantId,
        ctx.sessionId,
        c.call.toolCallId,
        verdict.decision,
      ]),
    ),
    detectorId: LATE_EVIDENCE_DETECTOR_ID,
    severity: blocked ? 'critical' : 'high',
    decision: verdict.decision,
    title: blocked ? 'Executed: would have been blocked' : 'Executed: would have required approval',
    description:
      `${c.call.toolName} ran on an inline "${c.inline}" decision; evidence that arrived after the decision ` +
      `(spans exported after the verdict was asked) makes it ${verdict.decision}` +
      (detectors.length > 0 ? ` (${detectors.join(', ')})` : ''),
    tenantId: ctx.tenantId,
    sessionId: ctx.sessionId,
    eventId: c.call.toolCallId,
    toolName: c.call.toolName,
    evidence: stricter.flatMap(([, o]) => o.evidence).slice(0, 10),
    // The call's own time: it sorts before the detectors' findings, so the incident is titled by it.
    timestampMillis: c.atMillis,
  };
  if (ctx.agentId) f.agentId = ctx.agentId;
  if (c.call.server) f.server = c.call.server;
  return f;
}

function lastTimestamp(request: VerdictRequest): number {
  let t = 0;
  for (const e of request.events) if (e.timestampMillis > t) t = e.timestampMillis;
  return t;
}

function toFinding(
  d: Detector,
  o: DetectorOutcome,
  ctx: DetectorContext,
  eventId: string,
  index: number,
  call: PendingToolCall | undefined,
): Finding {
  const f: Finding = {
    // Unique within a session, not a secret: a fast 128-bit hash (SHA-256 stays where approvals bind arguments).
    findingId: fastHash128Hex(JSON.stringify([d.id, ctx.tenantId, ctx.sessionId, eventId, index])),
    detectorId: d.id,
    severity: o.severity,
    decision: o.decision,
    title: o.title,
    description: o.message,
    tenantId: ctx.tenantId,
    sessionId: ctx.sessionId,
    eventId,
    evidence: o.evidence,
    timestampMillis: ctx.nowMillis,
  };
  if (ctx.agentId) f.agentId = ctx.agentId;
  if (call) f.toolName = call.toolName;
  if (call?.server) f.server = call.server;
  return f;
}

/** Strictest decision wins; reasons sorted by strictness then severity so the first one explains the verdict. */
export function aggregate(
  outcomes: readonly (readonly [Detector, DetectorOutcome])[],
  ctx: Pick<DetectorContext, 'tenantId' | 'sessionId'>,
  call: PendingToolCall,
  nowMillis: number,
): Verdict {
  let decision: Decision = 'allow';
  const reasons: Reason[] = [];
  const ids = new Set<string>();
  for (const [d, o] of outcomes) {
    if (DECISION_RANK[o.decision] > DECISION_RANK[decision]) decision = o.decision;
    reasons.push({
      detectorId: d.id,
      severity: o.severity,
      decision: o.decision,
      message: o.message,
      evidence: o.evidence,
    });
    ids.add(d.id);
  }
  reasons.sort(
    (a, b) =>
      DECISION_RANK[b.decision] - DECISION_RANK[a.decision] ||
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity],
  );
  return {
    decision,
    reasons,
    detectorIds: [...ids],
    decisionTimeMicros: 0,
    tenantId: ctx.tenantId,
    sessionId: ctx.sessionId,
    toolCallId: call.toolCallId,
    toolName: call.toolName,
    argumentsHash: stableHash(call.arguments),
    source: 'engine',
    timestampMillis: nowMillis,
  };
}
