import { type ToolDefinition, toolDefinitionHash } from '@bulwark/contracts';
import { z } from 'zod';
import { ToolLockError } from '../errors.js';
import type { ToolFinding } from './tool-finding.js';

/** How a pinned server is identified: its name (config label or `initialize` name) plus how it was reached. */
export const ServerIdentitySchema = z
  .object({
    name: z.string().min(1).max(512),
    version: z.string().max(256).optional(),
    command: z.string().max(4096).optional(),
    args: z.array(z.string().max(4096)).max(256).optional(),
    url: z.string().max(4096).optional(),
  })
  .strict();
export type ServerIdentity = z.infer<typeof ServerIdentitySchema>;

/** `bulwark.lock.json`: the approved tool definitions of each server, pinned by `toolDefinitionHash`. */
export const ToolLockSchema = z
  .object({
    version: z.literal(1),
    createdAt: z.string().min(1).max(64),
    servers: z
      .array(
        z
          .object({
            identity: ServerIdentitySchema,
            tools: z
              .array(
                z
                  .object({
                    name: z.string().min(1).max(512),
                    hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a 64-character lower-case hex SHA-256'),
                  })
                  .strict(),
              )
              .max(10_000),
          })
          .strict(),
      )
      .max(1_000),
  })
  .strict();
export type ToolLock = z.infer<typeof ToolLockSchema>;

/** Parse result: the lock, or every problem with its JSON path. */
export type ToolLockParseResult = { ok: true; lock: ToolLock } | { ok: false; issues: string[] };

/** One server's current tools, as listed. */
export interface ListedServer {
  identity: ServerIdentity;
  tools: readonly ToolDefinition[];
}

/**
 * Parses and validates `bulwark.lock.json` text. Never throws: a bad file gives every issue with its path.
 *
 * @example
 * const r = parseToolLock(readFileSync('bulwark.lock.json', 'utf8'));
 * if (!r.ok) console.error(r.issues.join('\n'));
 */
export function parseToolLock(text: string): ToolLockParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, issues: [`not valid JSON: ${(err as Error).message}`] };
  }
  const parsed = ToolLockSchema.safeParse(json);
  if (parsed.success) {
    const duplicates = duplicateNames(parsed.data);
    return duplicates.length > 0 ? { ok: false, issues: duplicates } : { ok: true, lock: parsed.data };
  }
  return {
    ok: false,
    issues: parsed.error.issues.map(
      (i) => `${i.path.length > 0 ? formatPath(i.path) : '(root)'}: ${i.message}`,
    ),
  };
}

/** Like `parseToolLock`, throwing `ToolLockError` (with every issue) for callers that treat a bad lock as fatal. */
export function loadToolLock(text: string, source = 'lock file'): ToolLock {
  const r = parseToolLock(text);
  if (!r.ok) throw new ToolLockError(source, r.issues);
  return r.lock;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

function duplicateNames(lock: ToolLock): string[] {
  const issues: string[] = [];
  const servers = new Set<string>();
  lock.servers.forEach((s, i) => {
    if (servers.has(s.identity.name))
      issues.push(`servers[${i}].identity.name: duplicate server '${s.identity.name}'`);
    servers.add(s.identity.name);
    const tools = new Set<string>();
    s.tools.forEach((t, j) => {
      if (tools.has(t.name)) issues.push(`servers[${i}].tools[${j}].name: duplicate tool '${t.name}'`);
      tools.add(t.name);
    });
  });
  return issues;
}

/**
 * Pins the listed servers' tools. `createdAt` is passed in (ISO string): this module reads no clock.
 *
 * @example
 * const lock = createToolLock([{ identity: { name: 'files' }, tools }], new Date().toISOString());
 */
export function createToolLock(servers: readonly ListedServer[], createdAt: string): ToolLock {
  return {
    version: 1,
    createdAt,
    servers: servers.map((s) => ({
      identity: { ...s.identity },
      tools: [...s.tools]
        .map((t) => ({ name: t.name, hash: toolDefinitionHash(t) }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    })),
  };
}

/** The pinned hash of a tool, by server name and tool name; `undefined` when not pinned. */
export function pinnedHash(lock: ToolLock, server: string | undefined, toolName: string): string | undefined {
  const candidates =
    server === undefined ? lock.servers : lock.servers.filter((s) => s.identity.name === server);
  const hits = candidates.flatMap((s) => s.tools.filter((t) => t.name === toolName));
  // Without a server, a name pinned on several servers is ambiguous: only a unique pin counts.
  return hits.length === 1 ? hits[0]?.hash : undefined;
}

/**
 * Compares listed servers with a lock: a changed definition (rug pull) is `high`, a tool or server not in the lock
 * `medium`, a pinned tool that disappeared `low`. Servers of the lock that were not listed are not reported.
 *
 * @example
 * const findings = compareToolLock(lock, [{ identity: { name: 'files' }, tools }]);
 */
export function compareToolLock(lock: ToolLock, servers: readonly ListedServer[]): ToolFinding[] {
  const out: ToolFinding[] = [];
  for (const listed of servers) {
    const pinned = lock.servers.find((s) => s.identity.name === listed.identity.name);
    const serverName = listed.identity.name;
    if (!pinned) {
      out.push({
        ruleId: 'rug-pull.unpinned',
        category: 'rug-pull',
        severity: 'medium',
        server: serverName,
        toolName: '*',
        toolIndex: -1,
        subject: 'server',
        title: 'Server is not in the lock file',
        message: `server '${serverName}' with ${listed.tools.length} tool(s) is not pinned; re-run with --pin to approve it`,
        evidence: [{ field: 'server', excerpt: serverName }],
      });
      continue;
    }
    const byName = new Map(pinned.tools.map((t) => [t.name, t.hash]));
    const seen = new Set<string>();
    listed.tools.forEach((tool) => {
      seen.add(tool.name);
      const expected = byName.get(tool.name);
      const actual = toolDefinitionHash(tool);
      if (expected === undefined) {
        out.push({
          ruleId: 'rug-pull.unpinned',
          category: 'rug-pull',
          severity: 'medium',
          server: serverName,
          toolName: tool.name,
          toolIndex: -1,
          subject: 'tool',
          title: 'New tool not in the lock file',
          message: `tool '${tool.name}' appeared on '${serverName}' since the lock was created`,
          evidence: [{ field: 'name', excerpt: tool.name }],
        });
      } else if (expected !== actual) {
        out.push({
          ruleId: 'rug-pull.changed',
          category: 'rug-pull',
          severity: 'high',
          server: serverName,
          toolName: tool.name,
          toolIndex: -1,
          subject: 'tool',
          title: 'Tool definition changed since it was pinned (rug pull)',
          message: `definition hash ${actual.slice(0, 12)}… differs from pinned ${expected.slice(0, 12)}…`,
          evidence: [
            {
              field: 'description',
              excerpt: (tool.description ?? '').slice(0, 500),
              note: `pinned ${expected}, now ${actual}`,
            },
          ],
        });
      }
    });
    for (const t of pinned.tools) {
      if (seen.has(t.name)) continue;
      out.push({
        ruleId: 'rug-pull.removed',
        category: 'rug-pull',
        severity: 'low',
        server: serverName,
        toolName: t.name,
        toolIndex: -1,
        subject: 'tool',
        title: 'Pinned tool no longer offered',
        message: `tool '${t.name}' is pinned for '${serverName}' but was not listed`,
        evidence: [{ field: 'name', excerpt: t.name }],
      });
    }
  }
  return out;
}
