import {
  type AgentEvent,
  type PendingToolCall,
  type Severity,
  stableHash,
  type ToolDefinition,
  toolDefinitionHash,
} from '@bulwark/contracts';
import type { Detector, DetectorContext, DetectorOutcome } from '../../engine/detector.js';
import { BoundedMap } from '../../tools/bounded-map.js';
import { ToolCallFlags } from '../../tools/tool-call-flags.js';
import { atLeast, type ToolFinding, type ToolFindingCategory } from '../../tools/tool-finding.js';
import { scanToolDefinitions } from '../../tools/tool-scanner.js';

/** What a call of a poisoned (or shadowing) tool gets. */
export type FlaggedCallPolicy = 'block' | 'require_approval' | 'alert' | 'allow';

/** A fixed decision, or a function read each time a tool is flagged (follows a hot-reloaded policy). */
export type FlaggedCallSetting = FlaggedCallPolicy | (() => FlaggedCallPolicy);

/** Resolves a decision setting to a function. */
export function callSetting(setting: FlaggedCallSetting | undefined, fallback: FlaggedCallPolicy) {
  if (typeof setting === 'function') return setting;
  const fixed = setting ?? fallback;
  return () => fixed;
}

/** Options of the poisoning detector. */
export interface ToolPoisoningOptions {
  /** Findings at or above this severity raise outcomes. Default `high`. */
  threshold?: Severity;
  /** Later calls of a poisoned tool. Default `block`: the description already steered the model. */
  onPoisonedCall?: FlaggedCallSetting;
  /** Tools remembered for call decisions and scan results cached; LRU. Default 10 000. */
  maxTrackedTools?: number;
}

const CATEGORIES: ReadonlySet<ToolFindingCategory> = new Set([
  'poisoning',
  'hidden-text',
  'schema-side-channel',
]);

/** Definitions of one event with the event's server filled in. */
export function eventTools(event: AgentEvent & { kind: 'tool_definitions' }): ToolDefinition[] {
  return event.tools.map((t) =>
    t.server === undefined && event.server !== undefined ? { ...t, server: event.server } : t,
  );
}

/** The outcome text of one scan finding, with evidence fields prefixed by the tool's place in the event. */
export function findingOutcome(f: ToolFinding, eventId: string, toolIndexInEvent: number): DetectorOutcome {
  // A tool of another event (cross-server findings) is named instead of indexed.
  const where = toolIndexInEvent >= 0 ? `tools[${toolIndexInEvent}]` : `${f.server ?? ''}/${f.toolName}`;
  return {
    severity: f.severity,
    decision: 'alert',
    title: `${f.title}: ${f.toolName}`,
    message: `${f.server ? `${f.server}/` : ''}${f.toolName} [${f.ruleId}] ${f.message}`,
    evidence: f.evidence.slice(0, 5).map((e) => ({ ...e, eventId, field: `${where}.${e.field ?? ''}` })),
  };
}

/**
 * `tools.poisoning`: scans every `tools/list` answer (a `tool_definitions` event) for instructions aimed at the
 * model, hidden text and schema side channels (see `scanToolDefinitions`). Findings at or above `threshold` are
 * alerted when the list arrives; later calls of that tool are blocked by default (`onPoisonedCall`), because
 * the poisoned description has already steered the model by the time it calls. A later clean definition of the
 * same tool releases it (the rug-pull detector reports the change itself).
 *
 * Scan results are cached by the list's content, so the same server listed in every session is scanned once.
 *
 * @example
 * // Built into `new DetectionEngine()`; alone, with options:
 * const engine = new DetectionEngine({ detectors: [new ToolPoisoningDetector({ onPoisonedCall: 'require_approval' })] });
 */
export class ToolPoisoningDetector implements Detector {
  readonly id = 'tools.poisoning';
  readonly description = 'Instructions, hidden text and side channels for the model in MCP tool definitions';
  readonly defaultSeverity: Severity = 'high';
  private readonly threshold: Severity;
  private readonly onCall: () => FlaggedCallPolicy;
  private readonly flags: ToolCallFlags;
  private readonly cache: BoundedMap<string, ToolFinding[]>;
  private readonly reported: BoundedMap<string, true>;

  constructor(options: ToolPoisoningOptions = {}) {
    this.threshold = options.threshold ?? 'high';
    this.onCall = callSetting(options.onPoisonedCall, 'block');
    const max = options.maxTrackedTools ?? 10_000;
    this.flags = new ToolCallFlags(max);
    this.cache = new BoundedMap(Math.max(16, Math.floor(max / 10)));
    this.reported = new BoundedMap(max);
  }

  onEvent(event: AgentEvent, ctx: DetectorContext): readonly DetectorOutcome[] {
    if (event.kind !== 'tool_definitions' || event.tools.length === 0) return [];
    const tools = eventTools(event);
    const listKey = stableHash(
      tools.map((t) => toolDefinitionHash(t)).concat(tools.map((t) => t.server ?? '')),
    );
    let findings = this.cache.get(listKey);
    if (!findings) {
      findings = scanToolDefinitions(tools, {
        threshold: this.threshold,
        includeRiskyCapabilities: false,
      }).findings.filter((f) => CATEGORIES.has(f.category) && atLeast(f.severity, this.threshold));
      this.cache.set(listKey, findings);
    }
    const out: DetectorOutcome[] = [];
    const flagged = new Set<number>();
    for (const f of findings) {
      const tool = tools[f.toolIndex];
      if (!tool) continue;
      const outcome = findingOutcome(f, event.eventId, f.toolIndex);
      // One alert per tool definition and session, whatever the re-deliveries and re-listings.
      const once = `${ctx.tenantId}\u0000${ctx.sessionId}\u0000${toolDefinitionHash(tool)}\u0000${f.ruleId}`;
      if (!this.reported.has(once)) {
        this.reported.set(once, true);
        out.push(outcome);
      }
      if (!flagged.has(f.toolIndex)) {
        flagged.add(f.toolIndex);
        this.flags.set(ctx.tenantId, tool.server, tool.name, {
          ...outcome,
          decision: this.onCall(),
          title: `Call of a poisoned tool: ${tool.name}`,
        });
      }
    }
    tools.forEach((t, i) => {
      if (!flagged.has(i)) this.flags.clear(ctx.tenantId, t.server, t.name);
    });
    return out;
  }

  onToolCall(call: PendingToolCall, ctx: DetectorContext): readonly DetectorOutcome[] {
    const flag = this.flags.find(ctx.tenantId, call.server, call.toolName);
    if (!flag || flag.decision === 'allow') return [];
    return [
      {
        severity: flag.severity,
        decision: flag.decision,
        title: flag.title,
        message: `its definition carries instructions for the model: ${flag.message}`,
        evidence: flag.evidence,
      },
    ];
  }
}
