import {
  type AgentEvent,
  type Evidence,
  type PendingToolCall,
  type Severity,
  stableHash,
  type ToolDefinition,
  toolDefinitionHash,
} from '@bulwark/contracts';
import type { Detector, DetectorContext, DetectorOutcome } from '../../engine/detector.js';
import { BoundedMap } from '../../tools/bounded-map.js';
import { ToolCallFlags } from '../../tools/tool-call-flags.js';
import { pinnedHash, type ToolLock } from '../../tools/tool-lock.js';
import {
  callSetting,
  type FlaggedCallPolicy,
  type FlaggedCallSetting,
} from '../tools.poisoning/tool-poisoning-detector.js';

/** Options of the rug-pull detector. */
export interface ToolRugPullOptions {
  /** What a changed definition does to later calls of that tool. Default `alert`. */
  onDrift?: FlaggedCallSetting;
  /** With a `lock`: what a tool missing from it does. Default `alert`. Ignored without a lock. */
  onUnpinned?: FlaggedCallSetting;
  /** Pinned definitions (`bulwark.lock.json`); without it, the first definition seen is the baseline. */
  lock?: ToolLock;
  /** Tools remembered (tenant × server × tool); the least recently listed is forgotten beyond it. Default 10 000. */
  maxTrackedTools?: number;
}

interface Baseline {
  hash: string;
  description: string;
  inputSchema: string;
  annotations: string;
  /** Last hash reported as drift, so one change alerts once, not on every listing. */
  reported?: string;
}

function fieldHashes(tool: ToolDefinition): Omit<Baseline, 'hash' | 'reported'> {
  return {
    description: stableHash(tool.description ?? ''),
    inputSchema: stableHash(tool.inputSchema ?? null),
    annotations: stableHash(tool.annotations ?? null),
  };
}

function changedFields(before: Omit<Baseline, 'hash' | 'reported'>, tool: ToolDefinition): string[] {
  const now = fieldHashes(tool);
  const out: string[] = [];
  if (before.description !== now.description) out.push('description');
  if (before.inputSchema !== now.inputSchema) out.push('inputSchema');
  if (before.annotations !== now.annotations) out.push('annotations');
  return out;
}

/**
 * `tools.rug-pull`: a tool whose definition (`toolDefinitionHash`: name, description, input schema, annotations)
 * differs from the pinned manifest, or from the first definition seen for this tenant and server, is a rug pull
 * — the server changed what the model reads after it was approved. A tool absent from the manifest is a
 * finding too. Under `onDrift: 'block'` (or `onUnpinned: 'block'`) later calls of that tool are blocked.
 *
 * State is bounded: at most `maxTrackedTools` first-seen baselines (LRU by listing). An evicted tool is
 * baselined afresh when next listed, so a change across an eviction goes unseen — pin with a lock file where
 * that matters. A drifted tool stays held until `accept()` re-baselines it (or, with a lock, until it matches
 * its pin again): the model may already have read the changed text.
 *
 * @example
 * const provider = new EngineVerdictProvider({ detectors: [new ToolRugPullDetector({ onDrift: 'block' })] });
 */
export class ToolRugPullDetector implements Detector {
  readonly id = 'tools.rug-pull';
  readonly description =
    'Tool definitions that change after first listing or differ from the pinned lock file';
  readonly defaultSeverity: Severity = 'high';
  private readonly onDrift: () => FlaggedCallPolicy;
  private readonly onUnpinned: () => FlaggedCallPolicy;
  private readonly lock: ToolLock | undefined;
  private readonly baselines: BoundedMap<string, Baseline>;
  private readonly flags: ToolCallFlags;

  constructor(options: ToolRugPullOptions = {}) {
    this.onDrift = callSetting(options.onDrift, 'alert');
    this.onUnpinned = callSetting(options.onUnpinned, 'alert');
    this.lock = options.lock;
    const max = options.maxTrackedTools ?? 10_000;
    this.baselines = new BoundedMap(max);
    this.flags = new ToolCallFlags(max);
  }

  /** Accepts the latest definition of a tool as its new baseline and releases held calls. */
  accept(tenantId: string, server: string | undefined, toolName: string): void {
    // The next listing becomes the baseline.
    this.baselines.delete(this.key(tenantId, server, toolName));
    this.flags.clear(tenantId, server, toolName);
  }

  /** Number of first-seen baselines held (for tests and memory checks). */
  get trackedTools(): number {
    return this.baselines.size;
  }

  onEvent(event: AgentEvent, ctx: DetectorContext): readonly DetectorOutcome[] {
    if (event.kind !== 'tool_definitions') return [];
    const out: DetectorOutcome[] = [];
    event.tools.forEach((tool, i) => {
      const server = tool.server ?? event.server;
      const hash = toolDefinitionHash(tool);
      const field = `tools[${i}]`;
      const pin = this.lock ? pinnedHash(this.lock, server, tool.name) : undefined;
      if (this.lock && pin === undefined) {
        const unpinned = this.onUnpinned();
        if (unpinned === 'allow') return;
        const outcome: DetectorOutcome = {
          severity: 'medium',
          decision: 'alert',
          title: `Tool not in the lock file: ${tool.name}`,
          message: `'${tool.name}'${server ? ` on '${server}'` : ''} is not pinned in the tool lock`,
          evidence: [{ eventId: event.eventId, field: `${field}.name`, excerpt: tool.name }],
        };
        out.push(outcome);
        this.flags.set(ctx.tenantId, server, tool.name, { ...outcome, decision: unpinned });
        return;
      }
      if (pin !== undefined) {
        if (pin === hash) this.flags.clear(ctx.tenantId, server, tool.name);
        else {
          const outcome = this.drift(
            tool,
            server,
            field,
            event.eventId,
            `the pinned hash ${pin.slice(0, 12)}…`,
            undefined,
          );
          out.push(outcome);
          this.flags.set(ctx.tenantId, server, tool.name, { ...outcome, decision: this.onDrift() });
        }
        return;
      }
      const key = this.key(ctx.tenantId, server, tool.name);
      const base = this.baselines.get(key);
      if (!base) {
        this.baselines.set(key, { hash, ...fieldHashes(tool) });
        return;
      }
      if (base.hash === hash || base.reported === hash) return;
      const outcome = this.drift(tool, server, field, event.eventId, 'the definition first seen', base);
      out.push(outcome);
      base.reported = hash;
      this.flags.set(ctx.tenantId, server, tool.name, { ...outcome, decision: this.onDrift() });
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
        message:
          flag.decision === 'block'
            ? `${flag.message}; calls are blocked until the change is reviewed`
            : flag.message,
        evidence: flag.evidence,
      },
    ];
  }

  private key(tenantId: string, server: string | undefined, toolName: string): string {
    return `${tenantId}\u0000${server ?? ''}\u0000${toolName}`;
  }

  private drift(
    tool: ToolDefinition,
    server: string | undefined,
    field: string,
    eventId: string,
    against: string,
    base: Baseline | undefined,
  ): DetectorOutcome {
    const fields = base ? changedFields(base, tool) : [];
    const evidence: Evidence[] = [
      {
        eventId,
        field: `${field}.${fields[0] ?? 'description'}`,
        excerpt: (tool.description ?? '').slice(0, 500),
        note: `definition hash now ${toolDefinitionHash(tool).slice(0, 12)}…${fields.length > 0 ? `; changed: ${fields.join(', ')}` : ''}`,
      },
    ];
    return {
      severity: 'high',
      decision: 'alert',
      title: `Tool definition changed (rug pull): ${tool.name}`,
      message: `'${tool.name}'${server ? ` on '${server}'` : ''} differs from ${against}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}`,
      evidence,
    };
  }
}
