import { foldName } from './name-skeleton.js';

/** Where a tool mentioned in a description lives, relative to the tool that mentions it. */
export type ToolReference = 'self' | 'sibling' | 'foreign' | 'unknown';

/**
 * Every tool name of every scanned server, for resolving "use the X tool" mentions: a sibling on the same
 * server is ordinary usage guidance, a tool of another server is a cross-server directive (shadowing).
 *
 * @example
 * const c = new ToolCatalogue([{ server: 'mail', name: 'send_email' }, { server: 'calc', name: 'add' }]);
 * c.resolve('send_email', 'calc', 'add'); // 'foreign'
 */
export class ToolCatalogue {
  private readonly byFolded = new Map<string, Set<string>>();

  constructor(tools: readonly { server?: string | undefined; name: string }[]) {
    for (const t of tools) {
      const key = foldName(t.name);
      if (key === '') continue;
      let servers = this.byFolded.get(key);
      if (!servers) {
        servers = new Set();
        this.byFolded.set(key, servers);
      }
      servers.add(t.server ?? '');
    }
  }

  /** Servers offering a tool with this (folded) name. */
  servers(name: string): string[] {
    return [...(this.byFolded.get(foldName(name)) ?? [])];
  }

  /** Resolves a mention; `undefined` when the mention is not a known tool name. */
  resolve(mention: string, server: string | undefined, selfName: string): ToolReference | undefined {
    const key = foldName(mention);
    if (key === '') return undefined;
    if (key === foldName(selfName)) return 'self';
    const servers = this.byFolded.get(key);
    if (!servers) return undefined;
    if (servers.has(server ?? '')) return 'sibling';
    return 'foreign';
  }
}
