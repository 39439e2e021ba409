import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StoreCounts } from './bulwark-stack.js';
import type { StackProcessConfig, StackProcessMessage, StackProcessRequest } from './stack-process.js';

/** A server running in a child process (see `stack-process.ts`). */
export interface StackChild {
  url: string;
  pid: number;
  /** Distinct stored rows of `tenantId` and the rows the store refused so far (stack mode only). */
  counts(tenantId: string): Promise<{ counts: StoreCounts; rejectedRows: number }>;
  /** CPU µs (user + system) the child has used since it started (`process.cpuUsage`). */
  cpuMicros(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Forks `stack-process` (compiled JS, or the TS source through tsx when running from sources) and waits
 * until it listens.
 *
 * @example
 * const child = await forkStackProcess({ mode: 'stack', stack: { port: 0, logLevel: 'error' } });
 * await child.close();
 */
export async function forkStackProcess(
  config: StackProcessConfig,
  startTimeoutMillis = 60_000,
): Promise<StackChild> {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(`./stack-process.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  const child: ChildProcess = fork(entry, [JSON.stringify(config)], {
    // BULWARK_STACK_EXEC_ARGV (space-separated) adds flags to the child, e.g. `--cpu-prof` for profiling.
    execArgv: [
      ...(fromSource ? ['--import', 'tsx'] : []),
      ...(process.env.BULWARK_STACK_EXEC_ARGV?.split(' ').filter(Boolean) ?? []),
    ],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server process did not start within ${startTimeoutMillis} ms`));
    }, startTimeoutMillis);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server process exited with code ${code} before it was ready`));
    });
    child.once('message', (m: StackProcessMessage) => {
      clearTimeout(timer);
      if (m.type === 'ready') resolve(m.url);
      else reject(new Error(`server process failed to start: ${m.type === 'error' ? m.message : m.type}`));
    });
  });
  child.removeAllListeners('exit');
  let nextId = 0;
  const counts = (tenantId: string) =>
    new Promise<{ counts: StoreCounts; rejectedRows: number }>((resolve, reject) => {
      const id = ++nextId;
      const onMessage = (m: StackProcessMessage) => {
        if (m.type !== 'counts' || m.id !== id) return;
        child.off('message', onMessage);
        if (m.counts) resolve({ counts: m.counts, rejectedRows: m.rejectedRows });
        else reject(new Error(m.error ?? 'no counts'));
      };
      child.on('message', onMessage);
      child.send({ type: 'counts', id, tenantId } satisfies StackProcessRequest);
    });
  const cpuMicros = () =>
    new Promise<number>((resolve) => {
      const id = ++nextId;
      const onMessage = (m: StackProcessMessage) => {
        if (m.type !== 'cpu' || m.id !== id) return;
        child.off('message', onMessage);
        resolve(m.userMicros + m.systemMicros);
      };
      child.on('message', onMessage);
      child.send({ type: 'cpu', id } satisfies StackProcessRequest);
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.send({ type: 'close' } satisfies StackProcessRequest);
    });
  return { url, pid: child.pid ?? -1, counts, cpuMicros, close };
}
