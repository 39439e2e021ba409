import type { Decision, Evidence, Severity } from '@bulwark/contracts';
import { BoundedMap } from './bounded-map.js';

/** Why calls of one tool are held, set when its definition was judged. */
export interface ToolCallFlag {
  decision: Decision;
  severity: Severity;
  title: string;
  message: string;
  evidence: Evidence[];
}

/**
 * Per tenant, the tools whose later calls get an outcome (block, approval, alert), keyed by server and tool
 * name. A call without a server matches the tool on any server; bounded LRU.
 *
 * @example
 * const flags = new ToolCallFlags(10_000);
 * flags.set('t', 'mail', 'send', flag); flags.find('t', undefined, 'send'); // flag
 */
export class ToolCallFlags {
  private readonly byTool: BoundedMap<string, Map<string, ToolCallFlag>>;

  constructor(maxTools: number) {
    this.byTool = new BoundedMap(maxTools);
  }

  private static key(tenantId: string, toolName: string): string {
    return `${tenantId}\u0000${toolName}`;
  }

  set(tenantId: string, server: string | undefined, toolName: string, flag: ToolCallFlag): void {
    const key = ToolCallFlags.key(tenantId, toolName);
    const servers = this.byTool.get(key) ?? new Map<string, ToolCallFlag>();
    servers.set(server ?? '', flag);
    this.byTool.set(key, servers);
  }

  clear(tenantId: string, server: string | undefined, toolName: string): void {
    const key = ToolCallFlags.key(tenantId, toolName);
    const servers = this.byTool.peek(key);
    if (!servers) return;
    servers.delete(server ?? '');
    if (servers.size === 0) this.byTool.delete(key);
  }

  /** The flag for a call: exact server, else a definition seen without server, else (call without server) any. */
  find(tenantId: string, server: string | undefined, toolName: string): ToolCallFlag | undefined {
    const servers = this.byTool.get(ToolCallFlags.key(tenantId, toolName));
    if (!servers) return undefined;
    if (server !== undefined) return servers.get(server) ?? servers.get('');
    let strictest: ToolCallFlag | undefined;
    for (const f of servers.values())
      if (!strictest || rank(f.decision) > rank(strictest.decision)) strictest = f;
    return strictest;
  }

  get size(): number {
    return this.byTool.size;
  }
}

function rank(d: Decision): number {
  return d === 'block' ? 3 : d === 'require_approval' ? 2 : d === 'alert' ? 1 : 0;
}
