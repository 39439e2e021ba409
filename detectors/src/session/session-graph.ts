import type { AgentEvent, ToolDefinition } from '@bulwark/contracts';
import type { BloomFilter } from '../text/bloom-filter.js';
import type { InjectionAssessment } from '../text/injection-scorer.js';
import type { PersonalDataKind } from '../text/personal-data.js';
import { echoPattern, isRepeatedPrompt, maskPromptEchoes } from '../text/prompt-repeat.js';
import { analyzeText, type TextAnalysis, type TrustClass } from '../text/text-analysis.js';
import type { UserIntent } from '../text/user-intent.js';

/**
 * Echo patterns by prompt text, shared by every session: most runs of one agent send the same prompt, and
 * compiling its pattern was ~4 % of warm ingest. Bounded; a pattern holds no session data (matching resets
 * `lastIndex`).
 */
const ECHO_PATTERNS = new Map<string, RegExp | undefined>();
const MAX_ECHO_PATTERNS = 512;

function cachedEchoPattern(prompt: string): RegExp | undefined {
  if (ECHO_PATTERNS.has(prompt)) return ECHO_PATTERNS.get(prompt);
  const re = echoPattern(prompt);
  if (prompt.length > 8_192) return re;
  if (ECHO_PATTERNS.size >= MAX_ECHO_PATTERNS)
    ECHO_PATTERNS.delete(ECHO_PATTERNS.keys().next().value as string);
  ECHO_PATTERNS.set(prompt, re);
  return re;
}

export type Integrity = 'trusted' | 'untrusted';
/** `personal`: personal data (ids, passport, card and account numbers, birth dates, home addresses, phones). */
export type Confidentiality = 'public' | 'internal' | 'personal' | 'secret';
export type NodeKind =
  | 'prompt'
  | 'llm_output'
  | 'tool_definitions'
  | 'tool_call'
  | 'tool_result'
  | 'resource'
  | 'agent_message';

const CONF_RANK: Record<Confidentiality, number> = { public: 0, internal: 1, personal: 2, secret: 3 };
/** Lattice join of confidentiality labels: the more confidential wins. */
export function joinConfidentiality(a: Confidentiality, b: Confidentiality): Confidentiality {
  return CONF_RANK[a] >= CONF_RANK[b] ? a : b;
}
/** Lattice join of integrity labels: anything touched by untrusted data is untrusted. */
export function joinIntegrity(a: Integrity, b: Integrity): Integrity {
  return a === 'untrusted' || b === 'untrusted' ? 'untrusted' : 'trusted';
}

/** One node of the provenance graph. Text is not kept for untrusted nodes: values and a word fingerprint are. */
export interface GraphNode {
  idx: number;
  kind: NodeKind;
  eventId: string;
  timestampMillis: number;
  integrity: Integrity;
  confidentiality: Confidentiality;
  toolName?: string;
  toolCallId?: string;
  /** Identifying values (see extractValues) found in the node's text. */
  values: Set<string>;
  /** Word fingerprint for long-text derivation (shared with other nodes of the same text: read only). */
  words?: BloomFilter;
  wordCount: number;
  /** Present when untrusted text carries instructions. */
  injection?: InjectionAssessment;
  /** Values inside the injected directive's sentences. */
  regionValues?: ReadonlySet<string>;
  /** Short excerpts of the directive, for evidence. */
  excerpts?: readonly string[];
  /** Secret values found in the node (normalized). */
  secrets?: ReadonlySet<string>;
  /** Personal data found in the node: compact value key → kind (shared with the text's analysis: read only). */
  personal?: ReadonlyMap<string, PersonalDataKind>;
  /** For tool_call nodes: data-flow edges, argument path → source node indexes. */
  argumentSources?: Map<string, number[]>;
}

/** Bounds of one session's state. Eviction is documented in detectors/README.md. */
export interface SessionLimits {
  /** Nodes kept per session; beyond it the oldest untrusted, non-injected nodes are dropped first. */
  maxNodes: number;
  /** Distinct values indexed per session; beyond it new values of ordinary nodes are not indexed. */
  maxValues: number;
  /** Characters of trusted prompt text kept for substring checks. */
  maxTrustedChars: number;
  /** Event ids remembered for idempotency. */
  maxEventIds: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxNodes: 256,
  maxValues: 4_096,
  maxTrustedChars: 16_384,
  maxEventIds: 1_024,
};

export interface ValueSource {
  node: GraphNode;
}

/** Analyses a text for a trust class; the engine passes its shared `AnalysisCache`. */
export type TextAnalyzer = (text: string, trust: TrustClass) => TextAnalysis;

/**
 * The incremental provenance graph of one session: nodes in control-flow order, a value index for data-flow
 * edges (value → the earliest nodes containing it), integrity and confidentiality labels.
 */
export class SessionGraph {
  readonly tenantId: string;
  readonly sessionId: string;
  agentId: string | undefined;
  readonly nodes: GraphNode[] = [];
  private nextIdx = 0;
  /** value key → node indexes (earliest first, at most 4). */
  readonly valueIndex = new Map<string, number[]>();
  private readonly eventIds = new Set<string>();
  trustedText = '';
  intent: UserIntent = { classes: new Set(), delegated: false };
  /** toolCallId → toolName, for results that do not name their tool. */
  readonly callTools = new Map<string, string>();
  /** Tool definitions seen in this session, by name. */
  readonly definitions = new Map<string, ToolDefinition>();
  /** Tool call names in order (bounded), for the sequence model. */
  readonly toolSequence: string[] = [];
  lastActivityMillis = 0;
  private readonly limits: SessionLimits;
  private readonly analyze: TextAnalyzer;
  /** The user's own requests (bounded), to recognise a restated task and its echo in tool results. */
  private readonly userPrompts: string[] = [];
  private readonly echoPatterns: RegExp[] = [];

  constructor(
    tenantId: string,
    sessionId: string,
    limits: SessionLimits = DEFAULT_SESSION_LIMITS,
    analyze: TextAnalyzer = analyzeText,
  ) {
    this.tenantId = tenantId;
    this.sessionId = sessionId;
    this.limits = limits;
    this.analyze = analyze;
  }

  /** Whether an event id was applied already (at-least-once delivery makes duplicates normal). */
  seen(eventId: string): boolean {
    return this.eventIds.has(eventId);
  }

  markSeen(eventId: string): void {
    if (this.eventIds.size >= this.limits.maxEventIds) {
      const first = this.eventIds.values().next().value;
      if (first !== undefined) this.eventIds.delete(first);
    }
    this.eventIds.add(eventId);
  }

  nodeAt(idx: number): GraphNode | undefined {
    // Nodes are kept in idx order; eviction removes from the front or middle, so search.
    const arr = this.nodes;
    let lo = 0;
    let hi = arr.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const n = arr[mid]!;
      if (n.idx === idx) return n;
      if (n.idx < idx) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Nodes whose text contains the value key (earliest first). */
  sourcesOf(key: string): GraphNode[] {
    const idxs = this.valueIndex.get(key);
    if (!idxs) return [];
    const out: GraphNode[] = [];
    for (const i of idxs) {
      const n = this.nodeAt(i);
      if (n) out.push(n);
    }
    return out;
  }

  /** True when the trusted prompts mention the value (the user or system supplied it). */
  trustedMentions(normalizedValue: string): boolean {
    return normalizedValue.length > 0 && this.trustedText.includes(normalizedValue);
  }

  /**
   * Applies one event; returns the node it created, or undefined for a duplicate or an event that adds no
   * node. Idempotent by event id.
   */
  apply(event: AgentEvent): GraphNode | undefined {
    if (this.seen(event.eventId)) return undefined;
    this.markSeen(event.eventId);
    if (event.timestampMillis > this.lastActivityMillis) this.lastActivityMillis = event.timestampMillis;
    if (event.agentId && !this.agentId) this.agentId = event.agentId;
    switch (event.kind) {
      case 'prompt': {
        const analysis = this.analyze(event.content, 'trusted');
        // A restated task (repeat-prompt / sandwich pipelines) adds no intent: it neither authorises what an
        // injected directive asked for nor clears anything; the node stays for provenance.
        if (event.role === 'user' && isRepeatedPrompt(event.content, this.userPrompts))
          return this.addTextNode('prompt', event, analysis, 'trusted', 'internal');
        if (event.role === 'user' && this.userPrompts.length < 8) {
          this.userPrompts.push(event.content.slice(0, 4_000));
          const echo = cachedEchoPattern(event.content);
          if (echo) this.echoPatterns.push(echo);
        }
        const norm = analysis.normalized ?? '';
        if (this.trustedText.length < this.limits.maxTrustedChars) {
          this.trustedText = `${this.trustedText}\n${norm}`.slice(0, this.limits.maxTrustedChars);
        }
        // A system prompt states no intent of the user's.
        const intent = event.role === 'user' || event.role === 'developer' ? analysis.intent : undefined;
        if (intent) {
          for (const c of intent.classes) this.intent.classes.add(c);
          this.intent.delegated ||= intent.delegated;
        }
        return this.addTextNode('prompt', event, analysis, 'trusted', 'internal');
      }
      case 'completion': {
        for (const c of event.toolCalls) if (c.toolCallId) this.callTools.set(c.toolCallId, c.toolName);
        if (!event.content) return undefined;
        const analysis = this.analyze(event.content, 'model-output');
        return this.addTextNode('llm_output', event, analysis, 'untrusted', 'internal');
      }
      case 'tool_definitions': {
        for (const t of event.tools) this.definitions.set(t.name, t);
        return this.pushNode({
          kind: 'tool_definitions',
          event,
          integrity: 'untrusted',
          confidentiality: 'public',
        });
      }
      case 'tool_call': {
        this.callTools.set(event.toolCallId, event.toolName);
        return this.recordCall(
          event.toolCallId,
          event.toolName,
          event.eventId,
          event.timestampMillis,
          new Map(),
        );
      }
      case 'tool_result': {
        const toolName = event.toolName || this.callTools.get(event.toolCallId) || '';
        const analysis = this.analyze(this.withoutEchoes(event.content), 'untrusted-input');
        const node = this.addTextNode('tool_result', event, analysis, 'untrusted', 'internal');
        node.toolName = toolName;
        node.toolCallId = event.toolCallId;
        return node;
      }
      case 'resource_read':
        return this.addTextNode(
          'resource',
          event,
          this.analyze(this.withoutEchoes(event.content), 'untrusted-input'),
          'untrusted',
          'internal',
        );
      case 'agent_message': {
        // What another agent sends us is untrusted input; what we send is our own output.
        const untrustedIn = event.direction === 'received';
        const analysis = untrustedIn
          ? this.analyze(this.withoutEchoes(event.content), 'untrusted-input')
          : this.analyze(event.content, 'untrusted');
        return this.addTextNode('agent_message', event, analysis, 'untrusted', 'internal');
      }
    }
  }

  /** Index of the newest node, -1 when none: grows with every node added (the session's evidence version). */
  get version(): number {
    return this.nextIdx - 1;
  }

  /**
   * A read-only view of the graph as a call saw it: only nodes of events at or before `timestampMillis`, and
   * none of the call's own nodes (its call node and its result, which echoes its arguments). Shares every
   * other structure with this graph: use it for reading only.
   */
  viewAsOf(timestampMillis: number, toolCallId: string): SessionGraph {
    const view = Object.create(this) as SessionGraph;
    const nodes = this.nodes.filter(
      (n) => n.timestampMillis <= timestampMillis && n.toolCallId !== toolCallId,
    );
    Object.defineProperty(view, 'nodes', { value: nodes, enumerable: true });
    return view;
  }

  /** Records a tool call node (from a verdict request or a tool_call event), deduplicated by tool call id. */
  recordCall(
    toolCallId: string,
    toolName: string,
    eventId: string,
    timestampMillis: number,
    argumentSources: Map<string, number[]>,
  ): GraphNode | undefined {
    const key = `call:${toolCallId}`;
    if (toolCallId && this.seen(key)) return undefined;
    if (toolCallId) this.markSeen(key);
    this.toolSequence.push(toolName);
    if (this.toolSequence.length > 64) this.toolSequence.shift();
    const node = this.pushNode({
      kind: 'tool_call',
      event: { eventId, timestampMillis },
      integrity: 'untrusted',
      confidentiality: 'public',
    });
    node.toolName = toolName;
    node.toolCallId = toolCallId;
    node.argumentSources = argumentSources;
    return node;
  }

  private pushNode(spec: {
    kind: NodeKind;
    event: { eventId: string; timestampMillis: number };
    integrity: Integrity;
    confidentiality: Confidentiality;
  }): GraphNode {
    const node: GraphNode = {
      idx: this.nextIdx++,
      kind: spec.kind,
      eventId: spec.event.eventId,
      timestampMillis: spec.event.timestampMillis,
      integrity: spec.integrity,
      confidentiality: spec.confidentiality,
      values: new Set(),
      wordCount: 0,
    };
    this.nodes.push(node);
    if (this.nodes.length > this.limits.maxNodes) this.evict();
    return node;
  }

  /** Content with the pipeline's restatements of the user's request blanked (see `maskPromptEchoes`). */
  private withoutEchoes(text: string): string {
    return this.echoPatterns.length === 0 ? text : maskPromptEchoes(text, this.echoPatterns);
  }

  /** A node from a text's analysis: the per-text parts are shared (read only), `values` is the node's own. */
  private addTextNode(
    kind: NodeKind,
    event: { eventId: string; timestampMillis: number },
    analysis: TextAnalysis,
    integrity: Integrity,
    confidentiality: Confidentiality,
  ): GraphNode {
    const node = this.pushNode({ kind, event, integrity, confidentiality });
    node.values = new Set(analysis.values);
    if (analysis.secrets) {
      node.secrets = analysis.secrets;
      node.confidentiality = joinConfidentiality(node.confidentiality, 'secret');
    }
    if (analysis.personal) {
      node.personal = analysis.personal;
      node.confidentiality = joinConfidentiality(node.confidentiality, 'personal');
    }
    if (analysis.words) node.words = analysis.words;
    node.wordCount = analysis.wordCount;
    if (analysis.injection) {
      node.injection = analysis.injection;
      if (analysis.regionValues) node.regionValues = analysis.regionValues;
      if (analysis.excerpts) node.excerpts = analysis.excerpts;
    }
    this.index(node);
    return node;
  }

  private index(node: GraphNode): void {
    const protectedNode = node.integrity === 'trusted' || node.injection !== undefined;
    for (const key of node.values) {
      const list = this.valueIndex.get(key);
      if (list) {
        if (list.length < 4) list.push(node.idx);
        else if (protectedNode && !list.includes(node.idx)) list[3] = node.idx;
      } else if (this.valueIndex.size < this.limits.maxValues || protectedNode) {
        this.valueIndex.set(key, [node.idx]);
      }
    }
  }

  /** Drops the oldest ordinary node; trusted prompts and injected nodes are kept as long as possible. */
  private evict(): void {
    let victim = this.nodes.findIndex((n) => n.integrity !== 'trusted' && !n.injection);
    if (victim < 0) victim = 0;
    const [gone] = this.nodes.splice(victim, 1);
    if (!gone) return;
    for (const key of gone.values) {
      const list = this.valueIndex.get(key);
      if (!list) continue;
      const rest = list.filter((i) => i !== gone.idx);
      if (rest.length === 0) this.valueIndex.delete(key);
      else this.valueIndex.set(key, rest);
    }
  }

  /** Nodes carrying injected instructions, oldest first. */
  injectedNodes(): GraphNode[] {
    return this.nodes.filter((n) => n.injection !== undefined);
  }
}
