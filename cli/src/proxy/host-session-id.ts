import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** What the session id derivation needs to know about one process. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Anything that differs between two processes that had the same pid (kernel start ticks, `ps` lstart). */
  startTime: string;
  /** argv (or the process name when argv cannot be read). */
  argv: string[];
}

/** Reads one process; `undefined` when it is gone or cannot be read. */
export type ReadProcess = (pid: number) => ProcessInfo | undefined;

/** The session id of a proxy, and where it came from. */
export interface HostSession {
  sessionId: string;
  source: 'option' | 'env' | 'host';
  /** The process the id was derived from (source `host`). */
  hostPid?: number;
}

export interface HostSessionIdOptions {
  /** `--session-id`: used verbatim. */
  explicit?: string | undefined;
  /** `BULWARK_SESSION_ID` is read from here; used verbatim. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The proxy's parent. Default `process.ppid`. */
  ppid?: number;
  readProcess?: ReadProcess;
  /** Distinguishes hosts across reboots (Linux boot id). */
  bootId?: string;
}

/**
 * Launchers between a host and the proxy (`npx bulwark proxy`, `sh -c …`): skipped, so that every proxy a host
 * starts, however it is started, derives the same session. Matched on the executable's base name.
 */
const LAUNCHERS = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'fish',
  'ksh',
  'env',
  'cmd',
  'cmd.exe',
  'npm',
  'npx',
  'pnpm',
  'pnpx',
  'yarn',
  'bunx',
  'tsx',
]);
/** A `node` process running one of these scripts is a launcher too. */
const NODE_LAUNCHER_SCRIPT =
  /(?:^|[/\\])(?:npx-cli|npm-cli|pnpm|pnpx|yarn|tsx)(?:\.c?js|\.mjs)?$|[/\\]tsx[/\\]/;
const MAX_HOPS = 8;

function isLauncher(p: ProcessInfo): boolean {
  const exe = path.basename(p.argv[0] ?? '').toLowerCase();
  if (LAUNCHERS.has(exe)) return true;
  if (exe === 'node' || exe === 'node.exe')
    return p.argv.slice(1, 3).some((a) => NODE_LAUNCHER_SCRIPT.test(a));
  return false;
}

/** Linux: `/proc/<pid>/stat` (start time in clock ticks since boot) and `/proc/<pid>/cmdline`. */
function readLinuxProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name field may contain spaces and parentheses: fields are counted after its last ')'.
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat
      .slice(close + 2)
      .trim()
      .split(/\s+/);
    const ppid = Number(fields[1]);
    const startTime = fields[19] ?? '';
    let argv: string[] = [];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {}
    // A process that set its title (`npm exec …`) has one space-joined argv entry.
    if (argv.length === 1) argv = argv[0]!.split(' ');
    if (argv.length === 0) argv = [name];
    return Number.isInteger(ppid) ? { pid, ppid, startTime, argv } : undefined;
  } catch {
    return undefined;
  }
}

/** Elsewhere (macOS, BSD): `ps`. */
function readPsProcess(pid: number): ProcessInfo | undefined {
  try {
    const out = execFileSync('ps', ['-o', 'ppid=', '-o', 'lstart=', '-o', 'command=', '-p', String(pid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2_000,
    }).trim();
    const parts = out.split(/\s+/);
    const ppid = Number(parts[0]);
    // lstart is five words: `Tue Dec  2 13:59:00 2025`.
    const startTime = parts.slice(1, 6).join(' ');
    return Number.isInteger(ppid) ? { pid, ppid, startTime, argv: parts.slice(6) } : undefined;
  } catch {
    return undefined;
  }
}

/** The reader for this platform (Windows has neither: the parent pid alone is used). */
export function defaultReadProcess(): ReadProcess {
  if (process.platform === 'linux') return readLinuxProcess;
  if (process.platform === 'win32') return () => undefined;
  return readPsProcess;
}

function linuxBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * The host process: the first ancestor of the proxy that is not a launcher (shell, npx, npm exec, tsx).
 *
 * @example
 * findHostProcess(process.ppid, defaultReadProcess()); // { pid: 4242, startTime: '81234', ... }
 */
export function findHostProcess(ppid: number, read: ReadProcess): ProcessInfo | undefined {
  let current = read(ppid);
  for (let hop = 0; current && hop < MAX_HOPS; hop++) {
    if (!isLauncher(current) || current.ppid <= 1) return current;
    const parent = read(current.ppid);
    if (!parent) return current;
    current = parent;
  }
  return current;
}

/**
 * The session id of `bulwark proxy`: `--session-id`, else `BULWARK_SESSION_ID`, else derived from the host
 * process (its pid and start time, and the boot id), so that every server one host launches through the proxy
 * records into one session — cross-server flows and shadowing are seen — and a new host run is a new session.
 *
 * @example
 * hostSessionId({ explicit: undefined }); // { sessionId: 'host-4242-5f0c1b9a7d2e4c61', source: 'host', hostPid: 4242 }
 */
export function hostSessionId(options: HostSessionIdOptions = {}): HostSession {
  const explicit = options.explicit?.trim();
  if (explicit) return { sessionId: explicit, source: 'option' };
  const fromEnv = (options.env ?? process.env).BULWARK_SESSION_ID?.trim();
  if (fromEnv) return { sessionId: fromEnv, source: 'env' };
  const ppid = options.ppid ?? process.ppid;
  const host = findHostProcess(ppid, options.readProcess ?? defaultReadProcess());
  const pid = host?.pid ?? ppid;
  const bootId = options.bootId ?? (process.platform === 'linux' ? linuxBootId() : '');
  const digest = createHash('sha256')
    .update(`${bootId}\u0000${pid}\u0000${host?.startTime ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  return { sessionId: `host-${pid}-${digest}`, source: 'host', hostPid: pid };
}
