import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Name of the file `bulwark serve` keeps in its embedded store's data directory while it holds it. */
export const SERVE_LOCK_FILE = 'bulwark-serve.json';

/** Who holds an embedded store: the serving process and where its API listens. */
export interface ServeLock {
  pid: number;
  url: string;
  startedAtMillis: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Records that this process serves the embedded store in `dataDir` (chdb binds a data directory to one
 * process, so `bulwark report` and `hunt` read this to go through the API instead). Returns the remover,
 * which deletes the file only while it is still this process's.
 *
 * @example
 * const release = writeServeLock('.bulwark-data', collector.url);
 * // ... on shutdown
 * release();
 */
export function writeServeLock(dataDir: string, url: string, pid = process.pid): () => void {
  const file = path.join(path.resolve(dataDir), SERVE_LOCK_FILE);
  const lock: ServeLock = { pid, url, startedAtMillis: Date.now() };
  try {
    writeFileSync(file, `${JSON.stringify(lock)}\n`);
  } catch {
    // Best effort: without it, readers detect the store's own lock error instead.
    return () => {};
  }
  return () => {
    if (readServeLock(dataDir, () => true)?.pid === pid) rmSync(file, { force: true });
  };
}

/**
 * The live `bulwark serve` holding the embedded store in `dataDir`, or undefined (no file, unreadable, or
 * its process is gone: a serve that was killed leaves the file behind).
 *
 * @example
 * const lock = readServeLock('.bulwark-data'); // { pid: 4242, url: 'http://127.0.0.1:4318', ... }
 */
export function readServeLock(
  dataDir: string,
  isAlive: (pid: number) => boolean = alive,
): ServeLock | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path.join(path.resolve(dataDir), SERVE_LOCK_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const p = parsed as Partial<ServeLock>;
  if (typeof p.pid !== 'number' || !Number.isInteger(p.pid) || p.pid <= 0 || typeof p.url !== 'string')
    return undefined;
  if (!isAlive(p.pid)) return undefined;
  return { pid: p.pid, url: p.url, startedAtMillis: Number(p.startedAtMillis ?? 0) };
}
