import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AgentSession, instrumentMcpClient } from '@bulwark/agent-sdk';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

/** The repository root (this file sits in `test/src/demo` or `test/dist/demo`). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The MCP servers the demo agents talk to: three from npm, three fixtures of this repository. */
export type DemoServerName = 'everything' | 'filesystem' | 'memory' | 'web' | 'mail' | 'weather';

/** Where the servers keep their state for one demo run. */
export interface DemoServerDirs {
  /** The only directory the filesystem server may touch. */
  files: string;
  /** The memory server's knowledge-graph file. */
  memoryFile: string;
  /** What the mail server really sent, one JSON line per e-mail. */
  outbox: string;
}

/** The JS entry behind an npm bin in `node_modules/.bin`. */
function binEntry(bin: string): string {
  return realpathSync(path.join(REPO_ROOT, 'node_modules', '.bin', bin));
}

const fixture = (file: string) => path.join(REPO_ROOT, 'test', 'fixtures', file);

/** Command line (run with `process.execPath`) and extra environment of one server. */
export function serverCommand(
  name: DemoServerName,
  dirs: DemoServerDirs,
): { args: string[]; env: Record<string, string> } {
  switch (name) {
    case 'everything':
      return { args: [binEntry('mcp-server-everything'), 'stdio'], env: {} };
    case 'filesystem':
      return { args: [binEntry('mcp-server-filesystem'), dirs.files], env: {} };
    case 'memory':
      return { args: [binEntry('mcp-server-memory')], env: { MEMORY_FILE_PATH: dirs.memoryFile } };
    case 'web':
      return { args: [fixture('web-server.mjs')], env: {} };
    case 'mail':
      return { args: [fixture('mail-server.mjs'), dirs.outbox], env: {} };
    case 'weather':
      return { args: [fixture('rug-pull-server.mjs')], env: {} };
  }
}

/**
 * Spawns a real MCP server over stdio and connects an MCP client instrumented with the agent SDK for
 * `session`: every request is traced, every `tools/call` is decided by the session's verdict provider first.
 * The server's stderr is kept (not shown) so its banners do not clutter the demo output.
 *
 * @example
 * const mail = await connectServer('mail', dirs, session);
 * await mail.callTool({ name: 'read_inbox', arguments: {} });
 */
export async function connectServer(
  name: DemoServerName,
  dirs: DemoServerDirs,
  session: AgentSession,
): Promise<Client> {
  const { args, env } = serverCommand(name, dirs);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args,
    env: { ...cleanEnv(), ...env },
    stderr: 'pipe',
  });
  const client = instrumentMcpClient(new Client({ name: `demo-agent-${name}`, version: '1.0.0' }), {
    session,
  });
  await client.connect(transport);
  return client;
}

/** The parent's environment without `undefined` values (what the stdio transport wants). */
function cleanEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return out;
}
