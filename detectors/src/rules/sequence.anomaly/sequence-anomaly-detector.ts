import type { PendingToolCall } from '@bulwark/contracts';
import { formatZodIssues } from '@bulwark/contracts';
import { z } from 'zod';
import type { Detector, DetectorContext, DetectorOutcome } from '../../engine/detector.js';
import { DEFAULT_POLICY } from '../../engine/policy.js';
import { DetectorsError } from '../../errors.js';

const START = '^';

interface Model {
  sessions: number;
  /** prev → next → count */
  transitions: Map<string, Map<string, number>>;
  /** tool → count */
  tools: Map<string, number>;
}

export interface SequenceAnomalyOptions {
  /** Add-k smoothing constant. */
  smoothing?: number;
  /** Models kept (one per tenant + agent); least recently used dropped beyond it. */
  maxModels?: number;
  /** Distinct tools per model. */
  maxTools?: number;
  /** Sessions remembered per model for counting distinct sessions. */
  maxTrackedSessions?: number;
}

const ModelJsonSchema = z.object({
  version: z.literal(1),
  models: z.record(
    z.string(),
    z.object({
      sessions: z.number().int().nonnegative(),
      tools: z.record(z.string(), z.number().int().nonnegative()),
      transitions: z.record(z.string(), z.record(z.string(), z.number().int().nonnegative())),
    }),
  ),
});
export type SequenceModelJson = z.infer<typeof ModelJsonSchema>;

/**
 * `sequence.anomaly`: a per-tenant, per-agent first-order Markov model of tool sequences, learned online with
 * add-k smoothing. After a warm-up of N sessions it scores each call: a tool never seen for this agent, or a
 * transition rarer than the policy's `minProbability`, raises an alert. It blocks only when the policy's
 * `sequence.decision` says so. The model can be saved (`toJSON`) and loaded (`load`).
 *
 * @example
 * const seq = new SequenceAnomalyDetector();
 * seq.load(JSON.parse(fs.readFileSync('model.json', 'utf8')));
 */
export class SequenceAnomalyDetector implements Detector {
  readonly id = 'sequence.anomaly';
  readonly description = 'Unseen tools and rare tool transitions for this agent';
  readonly defaultSeverity = 'medium' as const;
  private readonly models = new Map<string, Model>();
  private readonly sessionsSeen = new Map<string, Set<string>>();
  private readonly k: number;
  private readonly maxModels: number;
  private readonly maxTools: number;
  private readonly maxTrackedSessions: number;

  constructor(options: SequenceAnomalyOptions = {}) {
    this.k = options.smoothing ?? 0.1;
    this.maxModels = options.maxModels ?? 10_000;
    this.maxTools = options.maxTools ?? 512;
    this.maxTrackedSessions = options.maxTrackedSessions ?? 4_096;
  }

  onToolCall(call: PendingToolCall, ctx: DetectorContext): readonly DetectorOutcome[] {
    // Late evidence does not change the order of calls, and the call was learned when it was decided.
    if (ctx.reevaluation) return [];
    const policy = ctx.policy?.sequence ?? DEFAULT_POLICY.sequence;
    const key = `${ctx.tenantId}\u0000${ctx.agentId ?? ctx.session?.agentId ?? '*'}`;
    const model = this.model(key);
    const seq = ctx.session?.toolSequence ?? [];
    const prev = seq.length > 0 ? seq[seq.length - 1]! : START;
    const out: DetectorOutcome[] = [];
    if (model.sessions >= policy.warmupSessions) {
      const seen = model.tools.get(call.toolName) ?? 0;
      const row = model.transitions.get(prev);
      const rowTotal = row ? sum(row) : 0;
      const count = row?.get(call.toolName) ?? 0;
      const vocab = model.tools.size + 1;
      const p = (count + this.k) / (rowTotal + this.k * vocab);
      if (seen === 0) {
        out.push({
          severity: 'medium',
          decision: policy.decision,
          title: 'Tool never used by this agent before',
          message: `${call.toolName} was not called in ${model.sessions} observed sessions of this agent`,
          evidence: [
            {
              field: 'toolName',
              excerpt: call.toolName,
              note: `previous call: ${prev === START ? '(start)' : prev}`,
            },
          ],
        });
      } else if (p < policy.minProbability && rowTotal >= 5) {
        out.push({
          severity: 'low',
          decision: policy.decision,
          title: 'Rare tool transition',
          message: `${prev === START ? '(start)' : prev} → ${call.toolName} has probability ${p.toFixed(4)} for this agent (seen ${count} of ${rowTotal})`,
          evidence: [
            { field: 'toolName', excerpt: `${prev} -> ${call.toolName}`, note: `p=${p.toFixed(4)}` },
          ],
        });
      }
    }
    this.learn(key, model, ctx.sessionId, prev, call.toolName);
    return out;
  }

  private model(key: string): Model {
    let m = this.models.get(key);
    if (m) {
      // LRU: re-insert to mark as recently used.
      this.models.delete(key);
      this.models.set(key, m);
      return m;
    }
    m = { sessions: 0, transitions: new Map(), tools: new Map() };
    this.models.set(key, m);
    if (this.models.size > this.maxModels) {
      const oldest = this.models.keys().next().value;
      if (oldest !== undefined) {
        this.models.delete(oldest);
        this.sessionsSeen.delete(oldest);
      }
    }
    return m;
  }

  private learn(key: string, m: Model, sessionId: string, prev: string, tool: string): void {
    let seen = this.sessionsSeen.get(key);
    if (!seen) {
      seen = new Set();
      this.sessionsSeen.set(key, seen);
    }
    if (!seen.has(sessionId)) {
      seen.add(sessionId);
      m.sessions += 1;
      if (seen.size > this.maxTrackedSessions) {
        const first = seen.values().next().value;
        if (first !== undefined) seen.delete(first);
      }
    }
    if (!m.tools.has(tool) && m.tools.size >= this.maxTools) return;
    m.tools.set(tool, (m.tools.get(tool) ?? 0) + 1);
    let row = m.transitions.get(prev);
    if (!row) {
      row = new Map();
      m.transitions.set(prev, row);
    }
    row.set(tool, (row.get(tool) ?? 0) + 1);
  }

  /** The learned models as JSON. */
  toJSON(): SequenceModelJson {
    const models: SequenceModelJson['models'] = {};
    for (const [key, m] of this.models) {
      const transitions: Record<string, Record<string, number>> = {};
      for (const [p, row] of m.transitions) transitions[p] = Object.fromEntries(row);
      models[key] = { sessions: m.sessions, tools: Object.fromEntries(m.tools), transitions };
    }
    return { version: 1, models };
  }

  /** Loads models saved by `toJSON`, replacing the current ones. Throws `DetectorsError` on a bad file. */
  load(json: unknown): void {
    const res = ModelJsonSchema.safeParse(json);
    if (!res.success) {
      throw new DetectorsError(
        'detectors.invalid_sequence_model',
        `sequence model is invalid: ${formatZodIssues(res.error).join('; ')}`,
      );
    }
    this.models.clear();
    this.sessionsSeen.clear();
    for (const [key, m] of Object.entries(res.data.models)) {
      const transitions = new Map<string, Map<string, number>>();
      for (const [p, row] of Object.entries(m.transitions)) transitions.set(p, new Map(Object.entries(row)));
      this.models.set(key, { sessions: m.sessions, tools: new Map(Object.entries(m.tools)), transitions });
    }
  }
}

function sum(m: Map<string, number>): number {
  let s = 0;
  for (const v of m.values()) s += v;
  return s;
}
