// Small helpers shared by scripts/kafka.mjs and scripts/clickhouse.mjs:
// detached background processes tracked by a pid file, readiness polling,
// graceful stop. Only node: builtins.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function envInt(name, dflt) {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number.parseInt(v, 10);
  if (!Number.isFinite(n) || String(n) !== v.trim())
    throw new Error(`${name} must be an integer, got ${JSON.stringify(v)}`);
  return n;
}

export function envPath(name, dflt) {
  const v = process.env[name];
  return path.resolve(v && v !== '' ? v : dflt);
}

/** State letter from /proc/<pid>/stat ('R', 'S', 'Z', ...) or null when the pid does not exist. */
function procState(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ..." - comm may contain spaces/parens, so split at the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
  } catch {
    return null;
  }
}

/** True when pid exists and is not a zombie (a zombie has exited; it only awaits reaping). */
export function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code === 'ESRCH') return false;
    // EPERM: exists but not ours; fall through to /proc check.
  }
  const st = procState(pid);
  if (st === null) return !fs.existsSync('/proc/self'); // no procfs: trust kill(0)
  return st !== 'Z' && st !== 'X';
}

export function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Pid from pidFile when that process is alive and its command line contains `marker`
 * (guards against a recycled pid). Removes a stale pid file. Returns null otherwise.
 */
export function runningPid(pidFile, marker) {
  let pid;
  try {
    pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').trim(), 10);
  } catch {
    return null;
  }
  if (isAlive(pid) && (marker === undefined || cmdline(pid).join(' ').includes(marker))) return pid;
  try {
    fs.unlinkSync(pidFile);
  } catch {}
  return null;
}

/** Resolves true when a TCP connection to host:port succeeds within timeoutMs. */
export function tcpProbe(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok) => {
      sock.removeAllListeners();
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** GET url; resolves { status, body } or null on any error/timeout. */
export function httpGet(url, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
  });
}

export function fileSize(file) {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Text of `file` from byte offset `from` (reads at most the last 4 MiB). */
export function readFrom(file, from = 0) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const start = Math.max(from, size - 4 * 1024 * 1024);
    if (size <= start) return '';
    const buf = Buffer.alloc(size - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    return buf.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function tail(file, lines = 60, from = 0) {
  const text = readFrom(file, from);
  if (!text) return `(no output in ${file})`;
  return text
    .split('\n')
    .slice(-lines - 1)
    .join('\n');
}

/** Byte offset of the last "===== <time> starting:" marker that spawnDetached wrote into logFile (0 if none). */
export function lastStartOffset(logFile) {
  try {
    const buf = fs.readFileSync(logFile);
    const i = buf.lastIndexOf('\n===== ');
    return Math.max(i, 0);
  } catch {
    return 0;
  }
}

/** Keeps one previous generation of a log file once it grows past maxBytes. */
export function rotateIfBig(file, maxBytes = 20 * 1024 * 1024) {
  if (fileSize(file) > maxBytes) fs.renameSync(file, `${file}.1`);
}

/**
 * Starts cmd detached from this process (own process group, survives our exit),
 * stdout+stderr appended to logFile, pid written to pidFile. Returns { pid, child }.
 */
export function spawnDetached(cmd, args, { cwd, logFile, pidFile, env }) {
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `\n===== ${new Date().toISOString()} starting: ${[cmd, ...args].join(' ')}\n`);
  let child;
  try {
    child = spawn(cmd, args, { cwd, env: env ?? process.env, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  if (!child.pid) throw new Error(`failed to spawn ${cmd}`);
  child.on('error', () => {});
  child.unref();
  fs.writeFileSync(pidFile, `${child.pid}\n`);
  return { pid: child.pid, child };
}

/**
 * Polls check() every intervalMs until it returns a truthy value (returned),
 * `alive()` returns false (throws 'exited'), or the deadline passes (throws 'timeout').
 */
export async function waitUntil(
  check,
  { timeoutMs, intervalMs = 250, alive = () => true, what = 'condition' },
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (!alive()) {
      const e = new Error(`process exited while waiting for ${what}`);
      e.reason = 'exited';
      throw e;
    }
    if (Date.now() >= deadline) {
      const e = new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
      e.reason = 'timeout';
      throw e;
    }
    await sleep(intervalMs);
  }
}

/** SIGTERM, wait up to graceMs, then SIGKILL (and wait for it). Returns 'term' | 'kill' | 'gone'. */
export async function stopPid(pid, { graceMs = 30000, log = () => {} } = {}) {
  if (!isAlive(pid)) return 'gone';
  try {
    process.kill(pid, 'SIGTERM');
  } catch (e) {
    if (e.code === 'ESRCH') return 'gone';
    throw e;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'term';
    await sleep(200);
  }
  log(`pid ${pid} still running after ${Math.round(graceMs / 1000)} s, sending SIGKILL`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
  const killDeadline = Date.now() + 10000;
  while (Date.now() < killDeadline) {
    if (!isAlive(pid)) return 'kill';
    await sleep(100);
  }
  throw new Error(`pid ${pid} did not exit even after SIGKILL`);
}

export function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Runs a command inheriting stdio; throws on non-zero exit. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  return r;
}

/**
 * Runs a command with its output captured; prints it (ANSI escapes stripped) when it is not
 * empty, and throws on non-zero exit.
 */
export function runQuiet(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes from tool output
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.replace(/\x1b\[[0-9;]*m/g, '').trim();
  if (out) console.log(out);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  return r;
}

/** Runs `main(command)` when the importing module is the entry point; maps errors to exit codes. */
export function cli(importMetaUrl, commands, usage) {
  const entry = process.argv[1] ? path.resolve(process.argv[1]) : '';
  if (fileURLToPath(importMetaUrl) !== entry) return;
  const cmd = process.argv[2];
  const fn = commands[cmd];
  if (!fn) {
    console.error(usage);
    process.exit(2);
  }
  Promise.resolve()
    .then(() => fn())
    .then((code) => process.exit(typeof code === 'number' ? code : 0))
    .catch((e) => {
      console.error(e?.message ?? e);
      process.exit(1);
    });
}
