import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type BulwarkStack,
  type BulwarkStackOptions,
  type StoreCounts,
  startBulwarkStack,
} from './bulwark-stack.js';

/**
 * Child-process entry used by the benchmarks, so the server under test and the load generator never share
 * a thread. `fork()` it with one JSON argument, a {@link StackProcessConfig}; it answers over IPC:
 * `{ type: 'ready', url }` once listening (or `{ type: 'error', message }`), then serves
 * `{ type: 'counts', id, tenantId }` → `{ type: 'counts', id, counts, rejectedRows }` and `{ type: 'close' }`.
 *
 * @example
 * const child = fork(stackProcessPath, [JSON.stringify({ mode: 'stack', stack: { port: 0 } })]);
 */
export type StackProcessConfig =
  | { mode: 'stack'; stack: BulwarkStackOptions }
  /** The baseline: a plain `node:http` server answering a fixed small JSON with the collector's headers. */
  | { mode: 'empty' };

export type StackProcessRequest =
  | { type: 'counts'; id: number; tenantId: string }
  | { type: 'cpu'; id: number }
  | { type: 'close' };

export type StackProcessMessage =
  | { type: 'ready'; url: string }
  | { type: 'error'; message: string }
  | { type: 'counts'; id: number; counts?: StoreCounts; rejectedRows: number; error?: string }
  /** `process.cpuUsage()` of this process (µs of user and system CPU since it started). */
  | { type: 'cpu'; id: number; userMicros: number; systemMicros: number };

const send = (m: StackProcessMessage) => process.send?.(m);

const FIXED = JSON.stringify({
  decision: 'allow',
  reasons: [],
  detectorIds: [],
  decisionTimeMicros: 1,
  tenantId: 'default',
  sessionId: 's',
  toolCallId: 'c',
  toolName: 't',
  source: 'engine',
  timestampMillis: 0,
});

/** Reads the whole body (as the collector does), then answers the fixed JSON. */
function startEmptyServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(
    { keepAliveTimeout: 65_000, headersTimeout: 20_000, requestTimeout: 60_000, maxHeaderSize: 16 * 1024 },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(FIXED),
        });
        res.end(FIXED);
      });
    },
  );
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as StackProcessConfig;
  let stack: BulwarkStack | undefined;
  let close: () => Promise<void>;
  try {
    if (config.mode === 'stack') {
      stack = await startBulwarkStack(config.stack);
      close = () => stack!.close();
      send({ type: 'ready', url: stack.url });
    } else {
      const empty = await startEmptyServer();
      close = empty.close;
      send({ type: 'ready', url: empty.url });
    }
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
  process.on('message', (m: StackProcessRequest) => {
    if (m.type === 'cpu') {
      const u = process.cpuUsage();
      send({ type: 'cpu', id: m.id, userMicros: u.user, systemMicros: u.system });
    } else if (m.type === 'counts') {
      if (!stack) {
        send({ type: 'counts', id: m.id, rejectedRows: 0, error: 'no store in this mode' });
        return;
      }
      const rejectedRows = stack.streamMetrics.value('store_rows_rejected_total');
      stack.counts(m.tenantId).then(
        (counts) => send({ type: 'counts', id: m.id, counts, rejectedRows }),
        (err: unknown) => send({ type: 'counts', id: m.id, rejectedRows, error: (err as Error).message }),
      );
    } else if (m.type === 'close') {
      close().finally(() => process.exit(0));
    }
  });
  // The parent going away must not leave a server behind.
  process.on('disconnect', () => {
    close().finally(() => process.exit(0));
  });
}

void main();
