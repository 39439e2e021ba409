import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { formatZodIssues } from '@bulwark/contracts';
import { z } from 'zod';
import { splitCommandLine } from './command-line.js';

/** Where a target came from, for report locations (SARIF) and messages. */
export interface TargetOrigin {
  /** The config file the server is declared in. */
  configFile?: string;
  /** 1-based line of the server's key in that file. */
  line?: number;
}

/** An MCP server to scan: a process speaking stdio, or a remote URL. */
export type ScanTarget =
  | ({
      kind: 'stdio';
      /** Config key, or undefined until the server names itself. */
      label: string | undefined;
      command: string;
      args: string[];
      env?: Record<string, string>;
      cwd?: string;
      input: string;
    } & TargetOrigin)
  | ({
      kind: 'http';
      label: string | undefined;
      url: string;
      headers?: Record<string, string>;
      /** Transport forced by config (`sse` or `streamable-http`); `auto` tries Streamable HTTP, then SSE. */
      transport: 'auto' | 'streamable-http' | 'sse';
      input: string;
    } & TargetOrigin);

export type ResolveTargetsResult = { ok: true; targets: ScanTarget[] } | { ok: false; reason: string };

const StdioEntry = z
  .object({
    type: z.literal('stdio').optional(),
    command: z.string().min(1),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    disabled: z.boolean().optional(),
  })
  .passthrough();
const RemoteEntry = z
  .object({
    type: z.enum(['http', 'streamable-http', 'streamableHttp', 'sse']).optional(),
    transport: z.enum(['http', 'streamable-http', 'streamableHttp', 'sse']).optional(),
    url: z.string().url(),
    headers: z.record(z.string(), z.string()).optional(),
    disabled: z.boolean().optional(),
  })
  .passthrough();
const ServerEntry = z.union([StdioEntry, RemoteEntry]);
const ConfigFile = z
  .object({
    mcpServers: z.record(z.string(), ServerEntry).optional(),
    servers: z.record(z.string(), ServerEntry).optional(),
    mcp: z
      .object({ servers: z.record(z.string(), ServerEntry) })
      .passthrough()
      .optional(),
  })
  .passthrough();

const SCRIPT = /\.(?:mjs|cjs|js)$/i;

function lineOf(text: string, key: string): number | undefined {
  const idx = text.indexOf(JSON.stringify(key));
  return idx < 0 ? undefined : text.slice(0, idx).split('\n').length;
}

function transportOf(entry: z.infer<typeof RemoteEntry>): 'auto' | 'streamable-http' | 'sse' {
  const t = entry.transport ?? entry.type;
  if (t === 'sse') return 'sse';
  if (t === 'streamable-http' || t === 'streamableHttp') return 'streamable-http';
  return 'auto';
}

/** Reads an MCP client config file (`mcpServers`, VS Code `servers` or `mcp.servers`) into targets. */
export function targetsFromConfig(file: string, text: string): ResolveTargetsResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `${file}: not valid JSON (${(err as Error).message})` };
  }
  const parsed = ConfigFile.safeParse(json);
  if (!parsed.success) {
    const issues = formatZodIssues(parsed.error);
    return { ok: false, reason: `${file}: not an MCP client config: ${issues.join('; ')}` };
  }
  const entries = parsed.data.mcpServers ?? parsed.data.servers ?? parsed.data.mcp?.servers;
  if (!entries) {
    return { ok: false, reason: `${file}: no "mcpServers" (or "servers") object: not an MCP client config` };
  }
  const base = dirname(resolve(file));
  const targets: ScanTarget[] = [];
  for (const [name, entry] of Object.entries(entries)) {
    if (entry.disabled) continue;
    const origin: TargetOrigin = { configFile: file };
    const line = lineOf(text, name);
    if (line !== undefined) origin.line = line;
    if ('command' in entry && typeof entry.command === 'string') {
      const e = entry as z.infer<typeof StdioEntry>;
      const t: ScanTarget = {
        kind: 'stdio',
        label: name,
        command: e.command,
        args: e.args ?? [],
        input: `${file}#${name}`,
        ...origin,
      };
      if (e.env) t.env = e.env;
      if (e.cwd) t.cwd = isAbsolute(e.cwd) ? e.cwd : resolve(base, e.cwd);
      targets.push(t);
    } else {
      const e = entry as z.infer<typeof RemoteEntry>;
      const t: ScanTarget = {
        kind: 'http',
        label: name,
        url: e.url,
        transport: transportOf(e),
        input: `${file}#${name}`,
        ...origin,
      };
      if (e.headers) t.headers = e.headers;
      targets.push(t);
    }
  }
  if (targets.length === 0) return { ok: false, reason: `${file}: declares no enabled MCP servers` };
  return { ok: true, targets };
}

/**
 * Turns `bulwark scan` arguments into targets: an `http(s)://` URL, an MCP client config file (JSON), a script
 * (`server.mjs`, run with this Node), or a command line (`"npx -y pkg args"` or several words).
 *
 * @example
 * await resolveScanTargets(['node server.mjs', 'https://mcp.example.com/mcp', '.cursor/mcp.json']);
 */
export function resolveScanTargets(
  inputs: readonly string[],
  cwd: string = process.cwd(),
): ResolveTargetsResult {
  const targets: ScanTarget[] = [];
  for (const input of inputs) {
    const trimmed = input.trim();
    if (trimmed === '') return { ok: false, reason: 'empty target' };
    if (/^https?:\/\//i.test(trimmed)) {
      try {
        new URL(trimmed);
      } catch {
        return { ok: false, reason: `not a valid URL: ${trimmed}` };
      }
      targets.push({ kind: 'http', label: undefined, url: trimmed, transport: 'auto', input: trimmed });
      continue;
    }
    const path = resolve(cwd, trimmed);
    if (!/\s/.test(trimmed) && existsSync(path) && statSync(path).isFile()) {
      if (SCRIPT.test(path)) {
        targets.push({
          kind: 'stdio',
          label: undefined,
          command: process.execPath,
          args: [path],
          input: trimmed,
        });
        continue;
      }
      const text = readFileSync(path, 'utf8');
      if (extname(path).toLowerCase() === '.json' || text.trimStart().startsWith('{')) {
        const res = targetsFromConfig(trimmed, text);
        if (!res.ok) return res;
        targets.push(...res.targets);
        continue;
      }
    }
    const split = splitCommandLine(trimmed);
    if (!split.ok) return { ok: false, reason: split.reason };
    const [command, ...args] = split.argv as [string, ...string[]];
    // `node x.mjs` runs with this very Node, so the scan works the same under nvm, volta or CI images.
    const cmd = command === 'node' ? process.execPath : command;
    targets.push({ kind: 'stdio', label: undefined, command: cmd, args, input: trimmed, cwd });
  }
  return { ok: true, targets };
}

/** A short name for a target before the server names itself. */
export function fallbackLabel(target: ScanTarget): string {
  if (target.kind === 'http') {
    try {
      const u = new URL(target.url);
      return `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
    } catch {
      return target.url;
    }
  }
  const script = target.args.find((a) => SCRIPT.test(a) || a.startsWith('@') || /^[\w.-]+$/.test(a));
  return basename(script ?? target.command);
}
