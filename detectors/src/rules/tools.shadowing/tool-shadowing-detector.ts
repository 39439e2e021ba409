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
import {
  callSetting,
  eventTools,
  type FlaggedCallPolicy,
  type FlaggedCallSetting,
  findingOutcome,
} from '../tools.poisoning/tool-poisoning-detector.js';

/** Options of the shadowing detector. */
export interface ToolShadowingOptions {
  /** Findings at or above this severity raise outcomes. Default `high`. */
  threshold?: Severity;
  /** Later calls of a shadowing (or impersonating) tool. Default `block`. */
  onShadowingCall?: FlaggedCallSetting;
  /** Tenants whose server catalogue is kept; LRU. Default 1 000. */
  maxTenants?: number;
  /** Servers kept per tenant (most recently listed). Default 64. */
  maxServersPerTenant?: number;
  /** Tools remembered for call decisions; LRU. Default 10 000. */
  maxTrackedTools?: number;
}

const CATEGORIES: ReadonlySet<ToolFindingCategory> = new Set(['shadowing', 'name-collision']);

interface TenantCatalogue {
  servers: BoundedMap<string, ToolDefinition[]>;
  version: number;
  scannedVersion: number;
  findings: ToolFinding[];
  tools: ToolDefinition[];
}

/**
 * `tools.shadowing`: keeps, per tenant, the latest tool list of every MCP server the agents use and scans them
 * together: a description that tells the model how to use another server's tool (or "any tool"), and tool
 * names that collide with or impersonate another server's (confusable characters), raise outcomes. Calls of a
 * shadowing or impersonating tool are blocked by default (`onShadowingCall`).
 *
 * Bounded: `maxTenants` catalogues of at most `maxServersPerTenant` servers; a re-scan runs only when a server's
 * list actually changed.
 *
 * @example
 * // Built into `new DetectionEngine()`; alone, with options:
 * const engine = new DetectionEngine({ detectors: [new ToolShadowingDetector({ threshold: 'medium' })] });
 */
export class ToolShadowingDetector implements Detector {
  readonly id = 'tools.shadowing';
  readonly description =
    'Tool definitions that steer other servers’ tools, and colliding or confusable tool names';
  readonly defaultSeverity: Severity = 'high';
  private readonly threshold: Severity;
  private readonly onCall: () => FlaggedCallPolicy;
  private readonly tenants: BoundedMap<string, TenantCatalogue>;
  private readonly maxServers: number;
  private readonly flags: ToolCallFlags;
  private readonly reported: BoundedMap<string, true>;

  constructor(options: ToolShadowingOptions = {}) {
    this.threshold = options.threshold ?? 'high';
    this.onCall = callSetting(options.onShadowingCall, 'block');
    this.tenants = new BoundedMap(options.maxTenants ?? 1_000);
    this.maxServers = options.maxServersPerTenant ?? 64;
    const max = options.maxTrackedTools ?? 10_000;
    this.flags = new ToolCallFlags(max);
    this.reported = new BoundedMap(max);
  }

  onEvent(event: AgentEvent, ctx: DetectorContext): readonly DetectorOutcome[] {
    if (event.kind !== 'tool_definitions' || event.tools.length === 0) return [];
    const listed = eventTools(event);
    let cat = this.tenants.get(ctx.tenantId);
    if (!cat) {
      cat = {
        servers: new BoundedMap(this.maxServers),
        version: 0,
        scannedVersion: -1,
        findings: [],
        tools: [],
      };
      this.tenants.set(ctx.tenantId, cat);
    }
    const byServer = new Map<string, ToolDefinition[]>();
    for (const t of listed) byServer.set(t.server ?? '', [...(byServer.get(t.server ?? '') ?? []), t]);
    for (const [server, tools] of byServer) {
      const before = cat.servers.get(server);
      const same =
        before !== undefined &&
        stableHash(before.map((t) => toolDefinitionHash(t))) ===
          stableHash(tools.map((t) => toolDefinitionHash(t)));
      if (!same) {
        cat.servers.set(server, tools);
        cat.version++;
      }
    }
    if (cat.scannedVersion !== cat.version) {
      cat.tools = [...cat.servers.entries()].flatMap(([, tools]) => tools);
      cat.findings = scanToolDefinitions(cat.tools, {
        threshold: this.threshold,
        includeRiskyCapabilities: false,
      }).findings.filter((f) => CATEGORIES.has(f.category) && atLeast(f.severity, this.threshold));
      cat.scannedVersion = cat.version;
    }

    const inEvent = new Map<string, number>();
    listed.forEach((t, i) => {
      inEvent.set(`${t.server ?? ''}\u0000${t.name}`, i);
    });
    const out: DetectorOutcome[] = [];
    const flagged = new Set<string>();
    for (const f of cat.findings) {
      const tool = cat.tools[f.toolIndex];
      if (!tool) continue;
      const key = `${tool.server ?? ''}\u0000${tool.name}`;
      const index = inEvent.get(key);
      const outcome = findingOutcome(f, event.eventId, index ?? -1);
      if (!flagged.has(key)) {
        flagged.add(key);
        this.flags.set(ctx.tenantId, tool.server, tool.name, {
          ...outcome,
          decision: this.onCall(),
          title: `Call of a tool that ${f.category === 'shadowing' ? 'steers other tools' : 'impersonates another tool'}: ${tool.name}`,
        });
      }
      if (index === undefined) continue;
      const once = `${ctx.tenantId}\u0000${ctx.sessionId}\u0000${toolDefinitionHash(tool)}\u0000${f.ruleId}`;
      if (this.reported.has(once)) continue;
      this.reported.set(once, true);
      out.push(outcome);
    }
    for (const t of listed)
      if (!flagged.has(`${t.server ?? ''}\u0000${t.name}`)) this.flags.clear(ctx.tenantId, t.server, t.name);
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
        message: flag.message,
        evidence: flag.evidence,
      },
    ];
  }
}
