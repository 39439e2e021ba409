import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  AgentSession,
  CollectorApprovals,
  INSTRUMENTATION_NAME,
  RemoteVerdictProvider,
  SDK_VERSION,
} from '@bulwark/agent-sdk';
import { createBulwarkTracerProvider } from '@bulwark/agent-sdk/setup';
import type { VerdictProvider } from '@bulwark/contracts';
import {
  EngineVerdictProvider,
  type Policy,
  PolicyError,
  parsePolicy,
  parseToolLock,
  type ToolLock,
} from '@bulwark/detectors';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { hostSessionId } from '../proxy/host-session-id.js';
import { LoggedVerdictProvider } from '../proxy/logged-verdict-provider.js';
import { McpProxy } from '../proxy/mcp-proxy.js';

const HELP = `usage: bulwark proxy [options] -- <server command> [args...]        (stdio)
       bulwark proxy [options] --url <server URL> --listen <port>     (Streamable HTTP)

An MCP proxy that a host (desktop assistant, IDE, coding agent) launches in place of a server. It forwards
every MCP message both ways unchanged, records the session as the agent SDK does (tool definitions, calls,
results, resources, prompts, sampling) and asks a verdict before every tools/call: a refused call is
answered with an isError result and never reaches the server. Only MCP goes to stdout; diagnostics (and the
server's own stderr) go to stderr.

stdio: the host runs \`bulwark proxy -- <server command>\` where it ran \`<server command>\`; the proxy
  starts the server as its child and speaks MCP over stdin/stdout to both.
Streamable HTTP: \`--url\` is the remote server's MCP endpoint; the host connects to
  http://<--bind>:<--listen>/mcp instead. Each host MCP session gets its own upstream session.

options:
  --name <label>        server label in the record (default: the server's initialize name)
  --session-id <id>     session to record into (BULWARK_SESSION_ID). Default: derived from the host process
                        (its pid and start time), so all servers one host runs share one session
  --agent-name <name>   agent name in the record (BULWARK_AGENT_NAME)
  --verdict-url <url>   a running collector's base URL (BULWARK_VERDICT_URL): verdicts come from it, and a
                        require_approval verdict waits for an approver there. Default: the in-process engine,
                        which refuses require_approval (fail closed)
  --policy <file>       policy YAML for the in-process engine (default: the built-in policy)
  --tool-lock <file>    pinned tool definitions (written by \`bulwark scan --pin\`) for the in-process
                        engine (BULWARK_TOOL_LOCK_FILE); without it the first listing is the baseline
  --url <url>           remote Streamable HTTP MCP server (instead of a server command)
  --listen <port>       port of the Streamable HTTP front (with --url)
  --bind <address>      address of the Streamable HTTP front (default 127.0.0.1)
  --header <k: v>       header sent to the remote server, repeatable (e.g. "authorization: Bearer …")
  -h, --help            this text

Example (an MCP host's server entry):
  { "command": "npx", "args": ["bulwark", "proxy", "--name", "files", "--",
                               "npx", "-y", "@modelcontextprotocol/server-filesystem", "/home/me/docs"] }

Exit codes: 0 the host closed the connection, 1 the server could not start or exited (its exit code when it
had one), 2 bad arguments.`;

export interface ProxyIo {
  /** `--help` output (default: stdout). */
  out?: (line: string) => void;
  /** Diagnostics (default: stderr; stdout is the protocol). */
  err?: (line: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
}

interface ProxyArgs {
  name?: string;
  'session-id'?: string;
  'agent-name'?: string;
  'verdict-url'?: string;
  policy?: string;
  'tool-lock'?: string;
  url?: string;
  listen?: string;
  bind?: string;
  header?: string[];
  help?: boolean;
}

/** The server's environment: the proxy's own, without Bulwark's settings and secrets (the server is not ours). */
export function serverEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith('BULWARK_')) out[k] = v;
  return out;
}

/** Keeps stdout for MCP: anything a dependency prints with `console.log` goes to stderr instead. */
function protectStdout(): void {
  const toStderr = (...args: unknown[]) => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}

/** What the arguments ask for, checked and with the policy and tool lock files read. */
interface ProxyPlan {
  values: ProxyArgs;
  /** The stdio server command (after `--`), empty for Streamable HTTP. */
  command: string[];
  remote?: URL;
  port?: number;
  headers: Record<string, string>;
  verdictUrl?: string;
  policy?: Policy;
  toolLock?: ToolLock;
}

type ProxyArgv =
  | { ok: true; values: ProxyArgs; positionals: string[]; command: string[] }
  | { ok: false; message: string };

function parseProxyArgv(argv: string[]): ProxyArgv {
  const dashes = argv.indexOf('--');
  const own = dashes === -1 ? argv : argv.slice(0, dashes);
  const command = dashes === -1 ? [] : argv.slice(dashes + 1);
  try {
    const { values, positionals } = parseArgs({
      args: own,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        'session-id': { type: 'string' },
        'agent-name': { type: 'string' },
        'verdict-url': { type: 'string' },
        policy: { type: 'string' },
        'tool-lock': { type: 'string' },
        url: { type: 'string' },
        listen: { type: 'string' },
        bind: { type: 'string' },
        header: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }) as { values: ProxyArgs; positionals: string[] };
    return { ok: true, values, positionals, command };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

/** Which server (stdio command, or remote URL + local port), checked together. */
function checkServer(
  values: ProxyArgs,
  positionals: string[],
  command: string[],
  issues: string[],
): { remote?: URL; port?: number; headers: Record<string, string> } {
  if (positionals.length > 0)
    issues.push(`unexpected "${positionals.join(' ')}": put the server command after "--"`);
  const http = values.url !== undefined || values.listen !== undefined;
  if (http && command.length > 0) issues.push('give either a server command after "--" or --url, not both');
  if (!http && command.length === 0)
    issues.push('no server: give its command after "--" (stdio) or --url with --listen (Streamable HTTP)');
  if (http && (values.url === undefined || values.listen === undefined))
    issues.push('--url and --listen go together (the remote server, and the port the host connects to)');
  let remote: URL | undefined;
  if (values.url !== undefined) {
    try {
      remote = new URL(values.url);
      if (remote.protocol !== 'http:' && remote.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      remote = undefined;
      issues.push(`--url "${values.url}" is not an http(s) URL`);
    }
  }
  const port = values.listen === undefined ? undefined : Number(values.listen);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535))
    issues.push(`--listen "${values.listen}" is not a port (0-65535)`);
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) issues.push(`--header "${h}" is not "name: value"`);
    else headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
  }
  return { ...(remote ? { remote } : {}), ...(port !== undefined ? { port } : {}), headers };
}

/** The in-process engine's policy and tool lock, read from their files (none with a collector). */
async function readEngineFiles(
  values: ProxyArgs,
  verdictUrl: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  issues: string[],
): Promise<{ policy?: Policy; toolLock?: ToolLock }> {
  const lockFile = values['tool-lock'] ?? (verdictUrl === undefined ? env.BULWARK_TOOL_LOCK_FILE : undefined);
  if (verdictUrl !== undefined && (values.policy !== undefined || values['tool-lock'] !== undefined))
    issues.push(
      '--policy and --tool-lock apply to the in-process engine; with --verdict-url the collector applies its own',
    );
  const out: { policy?: Policy; toolLock?: ToolLock } = {};
  if (lockFile !== undefined) {
    try {
      const parsed = parseToolLock(await readFile(lockFile, 'utf8'));
      if (parsed.ok) out.toolLock = parsed.lock;
      else issues.push(`--tool-lock ${lockFile}: ${parsed.issues.join('; ')}`);
    } catch (e) {
      issues.push(`--tool-lock ${lockFile}: cannot read it: ${(e as Error).message}`);
    }
  }
  if (values.policy !== undefined) {
    try {
      out.policy = parsePolicy(await readFile(values.policy, 'utf8'));
    } catch (e) {
      if (e instanceof PolicyError) issues.push(`--policy ${values.policy}: ${e.issues.join('; ')}`);
      else issues.push(`--policy ${values.policy}: cannot read it: ${(e as Error).message}`);
    }
  }
  return out;
}

async function planProxy(
  parsed: Extract<ProxyArgv, { ok: true }>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ ok: true; plan: ProxyPlan } | { ok: false; issues: string[] }> {
  const { values, positionals, command } = parsed;
  const issues: string[] = [];
  const server = checkServer(values, positionals, command, issues);
  const verdictUrl = values['verdict-url'] ?? env.BULWARK_VERDICT_URL;
  const engineFiles = await readEngineFiles(values, verdictUrl, env, issues);
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    plan: { values, command, ...server, ...(verdictUrl !== undefined ? { verdictUrl } : {}), ...engineFiles },
  };
}

/** The verdict source, the approvals desk and the span export the proxy's session records through. */
interface ProxySession {
  provider: VerdictProvider;
  approvals?: CollectorApprovals;
  session: AgentSession;
  tracing?: ReturnType<typeof createBulwarkTracerProvider>;
}

function openProxySession(
  plan: ProxyPlan,
  sessionId: string,
  env: Readonly<Record<string, string | undefined>>,
  err: (line: string) => void,
): ProxySession {
  const { verdictUrl, values } = plan;
  let provider: VerdictProvider;
  let approvals: CollectorApprovals | undefined;
  let tracing: ReturnType<typeof createBulwarkTracerProvider> | undefined;
  if (verdictUrl !== undefined) {
    provider = new RemoteVerdictProvider({ url: verdictUrl }, env);
    approvals = new CollectorApprovals({ url: verdictUrl }, env);
    // Spans carry the session to the collector between verdict requests (results of this server reach
    // the calls the host makes through its other proxies). Not registered globally: the proxy injects no
    // trace context into the messages it forwards.
    tracing = createBulwarkTracerProvider({
      serviceName: 'bulwark-proxy',
      url: verdictUrl,
      registerGlobal: false,
      ...(env.BULWARK_API_KEY ? { headers: { authorization: `Bearer ${env.BULWARK_API_KEY}` } } : {}),
    });
  } else {
    provider = new EngineVerdictProvider({
      ...(plan.policy ? { policy: plan.policy } : {}),
      ...(plan.toolLock ? { toolLock: plan.toolLock } : {}),
    });
  }
  provider = new LoggedVerdictProvider(provider, err);
  const session = new AgentSession({
    sessionId,
    ...(values['agent-name'] ? { agentName: values['agent-name'] } : {}),
    verdictProvider: provider,
    ...(tracing
      ? {
          tracer: tracing.getTracer(INSTRUMENTATION_NAME, SDK_VERSION),
          // The spans go to the user's own collector, and become the engine's state there: the full text
          // (secrets included) is what lets it see a secret read here leave through another server.
          capture: env.BULWARK_CAPTURE === undefined ? 'full' : undefined,
          maxAttributeBytes: env.BULWARK_MAX_ATTRIBUTE_BYTES === undefined ? 262_144 : undefined,
        }
      : {}),
    // Without a collector there is nobody to ask: require_approval is refused (the SDK's default).
    ...(approvals ? { onApprovalRequired: approvals.handler } : {}),
  });
  return { provider, session, ...(approvals ? { approvals } : {}), ...(tracing ? { tracing } : {}) };
}

function invalidArguments(issues: string[], err: (line: string) => void): number {
  err(
    `bulwark proxy: invalid arguments:\n${issues.map((i) => `  - ${i}`).join('\n')}\n\nRun \`bulwark proxy --help\` for the options.`,
  );
  return 2;
}

/**
 * `bulwark proxy`: an MCP proxy in front of one server (stdio child, or a remote Streamable HTTP server).
 * Resolves to the exit code once the host or the server has gone.
 *
 * @example
 * process.exitCode = await run(['--name', 'files', '--', 'npx', '-y', '@modelcontextprotocol/server-filesystem', '.']);
 */
export async function run(argv: string[], io: ProxyIo = {}): Promise<number> {
  const err = io.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const env = io.env ?? process.env;
  const parsed = parseProxyArgv(argv);
  if (!parsed.ok) {
    err(`bulwark proxy: ${parsed.message}\n\nRun \`bulwark proxy --help\` for the options.`);
    return 2;
  }
  if (parsed.values.help) {
    // Asked for by a person, not a host: help goes to stdout like every other command's.
    (io.out ?? ((l: string) => process.stdout.write(`${l}\n`)))(HELP);
    return 0;
  }
  const planned = await planProxy(parsed, env);
  if (!planned.ok) return invalidArguments(planned.issues, err);
  const { plan } = planned;
  const sessionInfo = hostSessionId({ explicit: plan.values['session-id'], env });
  let opened: ProxySession;
  try {
    opened = openProxySession(plan, sessionInfo.sessionId, env, err);
  } catch (e) {
    return invalidArguments([(e as Error).message], err);
  }
  const { provider, approvals, session, tracing } = opened;

  protectStdout();
  err(
    `bulwark proxy: session ${sessionInfo.sessionId} (${sessionInfo.source}), verdicts from ${plan.verdictUrl ? plan.verdictUrl : 'the in-process engine'}`,
  );
  try {
    if (plan.remote !== undefined && plan.port !== undefined) {
      const { serveHttpProxy } = await import('../proxy/http-front.js');
      return await serveHttpProxy({
        remote: plan.remote,
        port: plan.port,
        bind: plan.values.bind ?? '127.0.0.1',
        headers: plan.headers,
        session,
        ...(plan.values.name ? { serverName: plan.values.name } : {}),
        ...(tracing ? { flushRecords: () => tracing.forceFlush() } : {}),
        log: err,
      });
    }
    const flush = tracing ? () => tracing.forceFlush() : undefined;
    return await runStdioProxy(plan.command, session, plan.values.name, env, err, flush);
  } finally {
    await tracing?.shutdown();
    await approvals?.shutdown();
    await provider.shutdown();
  }
}

async function runStdioProxy(
  command: string[],
  session: AgentSession,
  serverName: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  err: (line: string) => void,
  flushRecords: (() => Promise<void>) | undefined,
): Promise<number> {
  const [file, ...args] = command as [string, ...string[]];
  const upstream = new StdioClientTransport({
    command: file,
    args,
    env: serverEnvironment(env),
    stderr: 'inherit', // the server's own diagnostics stay visible where the host shows ours
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const proxy = new McpProxy({
    host: new StdioServerTransport(process.stdin, process.stdout),
    upstream,
    session,
    ...(serverName ? { serverName } : {}),
    log: err,
    ...(flushRecords ? { flushRecords } : {}),
    describeUpstreamExit: () => {
      if (!exit) return 'closed its output';
      return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    },
  });
  try {
    await proxy.start();
  } catch (e) {
    err(`bulwark proxy: cannot start the server "${command.join(' ')}": ${(e as Error).message}`);
    return 1;
  }
  // The child is private to the SDK transport; its exit status makes the host's error say what happened.
  const child = (upstream as unknown as { _process?: NodeJS.EventEmitter })._process;
  child?.on('exit', (code: number | null, signal: NodeJS.Signals | null) => {
    exit = { code, signal };
  });
  const onHostGone = () => void proxy.close();
  process.stdin.once('end', onHostGone);
  process.stdin.once('close', onHostGone);
  process.once('SIGTERM', onHostGone);
  process.once('SIGINT', onHostGone);
  const closed = await proxy.closed;
  process.off('SIGTERM', onHostGone);
  process.off('SIGINT', onHostGone);
  // Let the last answers reach the host before the CLI exits.
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  if (closed.reason === 'host_closed') return 0;
  return exit?.code ? exit.code : 1;
}
