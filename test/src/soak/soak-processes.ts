import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../services.js';

// Running from test/src through tsx: start the sources (workspace imports mapped to src by the check
// tsconfig); from test/dist: the built packages, as a user runs them.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const TSX = FROM_SOURCE ? ['--import', 'tsx'] : [];
const TSX_ENV = FROM_SOURCE ? { TSX_TSCONFIG_PATH: path.join(REPO_ROOT, 'tsconfig.check.json') } : {};
const here = path.dirname(fileURLToPath(import.meta.url));

/** A `bulwark serve` (or soak worker) child process. */
export interface SoakProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  /** Output so far (stdout + stderr), for error messages. */
  output(): string;
  /** True once the process exited. */
  exited(): boolean;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMillis`; resolves with the exit code. */
  stop(graceMillis?: number): Promise<number | null>;
}

function wrap(child: ChildProcess, url: string, out: () => string): SoakProcess {
  const exit = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return {
    url,
    pid: child.pid ?? -1,
    child,
    output: out,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    stop: async (graceMillis = 30_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMillis);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}

function collectOutput(child: ChildProcess): () => string {
  let out = '';
  const add = (c: Buffer) => {
    out += c.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out;
}

async function waitForLine(
  child: ChildProcess,
  out: () => string,
  pattern: RegExp,
  timeoutMillis: number,
  what: string,
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    const m = pattern.exec(out());
    if (m) return m;
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}): ${out().slice(-600)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${what} did not start within ${timeoutMillis} ms: ${out().slice(-600)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts `bulwark serve` on a free loopback port with `env` over a clean environment (PATH, HOME and the
 * given BULWARK_* only), and waits for its "listening on" line.
 */
export async function startServe(
  env: Record<string, string>,
  args: string[] = [],
  startTimeoutMillis = 90_000,
): Promise<SoakProcess> {
  const cli = FROM_SOURCE ? path.join(REPO_ROOT, 'cli/src/cli.ts') : path.join(REPO_ROOT, 'cli/dist/cli.js');
  const child = spawn(process.execPath, [...TSX, cli, 'serve', '--port', '0', ...args], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...TSX_ENV,
      BULWARK_HOST: '127.0.0.1',
      BULWARK_LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = collectOutput(child);
  const m = await waitForLine(
    child,
    out,
    /listening on (http:\/\/\S+) /,
    startTimeoutMillis,
    'bulwark serve',
  );
  return wrap(child, m[1]!, out);
}

/** What `soak-worker-process` runs: a stream worker on Kafka storing into a ClickHouse server. */
export interface SoakWorkerConfig {
  brokers: string[];
  topics: Record<'events' | 'verdicts' | 'findings' | 'alerts', string>;
  groupId: string;
  clickhouseUrl: string;
  database: string;
}

/** Starts the stream worker in its own process (so it can be SIGKILLed) and waits for `READY`. */
export async function startWorker(
  config: SoakWorkerConfig,
  startTimeoutMillis = 90_000,
): Promise<SoakProcess> {
  const entry = path.join(here, `soak-worker-process.${FROM_SOURCE ? 'ts' : 'js'}`);
  const child = spawn(process.execPath, [...TSX, entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...TSX_ENV, BULWARK_SOAK_WORKER: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = collectOutput(child);
  await waitForLine(child, out, /READY/, startTimeoutMillis, 'soak worker');
  return wrap(child, '', out);
}

/**
 * `node scripts/<kafka|clickhouse>.mjs <cmd>` with `env` (the soak's own ports and data dirs). Never throws:
 * the exit code and output come back.
 */
export function serviceScript(
  script: 'kafka' | 'clickhouse',
  cmd: 'start' | 'stop' | 'status',
  env: Record<string, string>,
  timeoutMillis = 180_000,
): Promise<{ code: number; out: string; millis: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPO_ROOT, 'scripts', `${script}.mjs`), cmd],
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: timeoutMillis },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, out: `${stdout}${stderr}`.trim(), millis: Date.now() - started });
      },
    );
  });
}

/** Resident set size of a process in bytes (from /proc), 0 when it cannot be read. */
export async function rssBytes(pid: number): Promise<number> {
  try {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Reads an embedded store through `soak-read-store` in a child process (chdb: one data dir per process).
 * Returns stored rows per event id by tenant, and the events of the asked sessions.
 */
export function readEmbedded(request: {
  dataDir: string;
  idsOf?: string[];
  sessions?: { tenantId: string; sessionId: string }[];
}): Promise<{ ids: Record<string, Map<string, number>>; sessions: Record<string, unknown>[][] }> {
  const entry = path.join(here, `soak-read-store.${FROM_SOURCE ? 'ts' : 'js'}`);
  // Through a file: 1 MB ids do not fit in argv (E2BIG).
  const file = path.join(tmpdir(), `bulwark-soak-read-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(request));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...TSX, entry, file],
      { cwd: REPO_ROOT, env: { ...process.env, ...TSX_ENV }, timeout: 120_000, maxBuffer: 512 * 2 ** 20 },
      (err, stdout, stderr) => {
        rmSync(file, { force: true });
        const line = stdout.trim().split('\n').at(-1) ?? '';
        if (err && !line.startsWith('{'))
          return reject(new Error(`reading ${request.dataDir}: ${stderr.slice(-400)}`));
        try {
          const parsed = JSON.parse(line) as {
            ids: Record<string, [string, number][]>;
            sessions: Record<string, unknown>[][];
          };
          resolve({
            ids: Object.fromEntries(Object.entries(parsed.ids).map(([t, e]) => [t, new Map(e)])),
            sessions: parsed.sessions,
          });
        } catch (e) {
          reject(new Error(`reading ${request.dataDir}: ${(e as Error).message}: ${stderr.slice(-400)}`));
        }
      },
    );
  });
}
