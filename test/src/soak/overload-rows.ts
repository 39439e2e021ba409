import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { metricSum } from '../bench/ingest-benchmarks.js';
import { type SoakProcess, startServe } from './soak-processes.js';
import { runRow, type SoakRow } from './soak-row.js';
import { sleep } from './soak-traffic.js';

/** The agent SDK's default verdict timeout: an answer later than this fails closed in the agent. */
const SDK_TIMEOUT_MILLIS = 250;

const verdictBody = (session: string, i: number) =>
  JSON.stringify({
    sessionId: session,
    toolCall: { toolCallId: `c-${i}`, toolName: 'read_file', arguments: { path: `notes-${i % 50}.txt` } },
  });

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface LoadTally {
  statuses: Record<string, number>;
  latencies: number[];
  shedWithoutRetryAfter: number;
}

function post(agent: http.Agent, url: URL, body: string, tally: LoadTally): Promise<void> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: '/v1/verdicts',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          if (text.length < 400) text += c.toString();
        });
        res.once('end', () => {
          const code = res.statusCode === 200 ? '' : /"code":"([^"]+)"/.exec(text)?.[1];
          const s = code ? `${res.statusCode}/${code}` : String(res.statusCode);
          tally.statuses[s] = (tally.statuses[s] ?? 0) + 1;
          if (res.statusCode === 200) tally.latencies.push(performance.now() - t0);
          if ((res.statusCode === 429 || res.statusCode === 503) && !res.headers['retry-after'])
            tally.shedWithoutRetryAfter += 1;
          resolve();
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', (err) => {
      const k = (err as NodeJS.ErrnoException).code ?? err.message;
      tally.statuses[k] = (tally.statuses[k] ?? 0) + 1;
      resolve();
    });
    req.end(body);
  });
}

function fillLoad(row: SoakRow, tally: LoadTally) {
  const sorted = [...tally.latencies].sort((a, b) => a - b);
  const within = sorted.filter((l) => l <= SDK_TIMEOUT_MILLIS).length;
  Object.assign(row.figures, {
    answers: Object.entries(tally.statuses)
      .map(([k, v]) => `${k}:${v}`)
      .join(','),
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    within_sdk_timeout_pct: sorted.length ? (100 * within) / sorted.length : Number.NaN,
    shed_without_retry_after: tally.shedWithoutRetryAfter,
  });
}

async function dropsOf(serve: SoakProcess): Promise<Record<string, number>> {
  const text = await (await fetch(`${serve.url}/metrics`)).text();
  return {
    dropped_total: metricSum(text, 'bulwark_collector_dropped_total', /not_agent_span/),
    shed_total: metricSum(text, 'bulwark_collector_shed_total'),
  };
}

/**
 * Overload rows on one `bulwark serve` (embedded): a burst of verdicts far above capacity, many keep-alive
 * connections, slow-loris sockets (headers and body) while a normal client measures verdict latency.
 */
export async function overloadRows(
  log: (s: string) => void,
  scale: { burst: number; keepAlive: number; slowLoris: number; seconds: number },
): Promise<SoakRow[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-soak-overload-'));
  let serve: SoakProcess | undefined;
  const rows: SoakRow[] = [];
  const goal = 'shed with 429/503 + Retry-After, kept answers within 250 ms, drops counted';
  try {
    serve = await startServe({ BULWARK_DATA_DIR: dataDir });
    const s = serve;
    const url = new URL(s.url);

    rows.push(
      await runRow('overload', `burst: ${scale.burst} verdicts at once`, goal, 120_000, async (row) => {
        const tally: LoadTally = { statuses: {}, latencies: [], shedWithoutRetryAfter: 0 };
        const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
        await Promise.all(
          Array.from({ length: scale.burst }, (_, i) =>
            post(agent, url, verdictBody(`burst-${i % 200}`, i), tally),
          ),
        );
        agent.destroy();
        fillLoad(row, tally);
        Object.assign(row.figures, await dropsOf(s));
        row.held = !s.exited() && tally.shedWithoutRetryAfter === 0 && !tally.statuses['500'];
      }),
    );
    log(`  ${rows.at(-1)!.name}: ${JSON.stringify(rows.at(-1)!.figures)}`);

    rows.push(
      await runRow(
        'overload',
        `${scale.keepAlive} keep-alive connections, ${scale.seconds} s`,
        goal,
        120_000,
        async (row) => {
          const tally: LoadTally = { statuses: {}, latencies: [], shedWithoutRetryAfter: 0 };
          const agent = new http.Agent({ keepAlive: true, maxSockets: scale.keepAlive });
          const until = Date.now() + scale.seconds * 1000;
          let n = 0;
          await Promise.all(
            Array.from({ length: scale.keepAlive }, async (_, c) => {
              while (Date.now() < until) await post(agent, url, verdictBody(`ka-${c}`, n++), tally);
            }),
          );
          agent.destroy();
          fillLoad(row, tally);
          Object.assign(row.figures, await dropsOf(s));
          const within = Number(row.figures.within_sdk_timeout_pct);
          row.held = !s.exited() && tally.shedWithoutRetryAfter === 0 && within >= 95;
        },
      ),
    );
    log(`  ${rows.at(-1)!.name}: ${JSON.stringify(rows.at(-1)!.figures)}`);

    rows.push(
      await runRow(
        'overload',
        `${scale.slowLoris} slow-loris sockets (half headers, half body)`,
        'slow sockets closed by the server; verdicts within 250 ms meanwhile',
        150_000,
        async (row) => {
          const opened = Date.now();
          const closedAfter: number[] = [];
          let ending = false;
          const sockets = Array.from({ length: scale.slowLoris }, (_, i) => {
            const sock = net.connect({ host: url.hostname, port: Number(url.port) });
            sock.on('error', () => {});
            sock.once('close', () => {
              if (!ending) closedAfter.push(Date.now() - opened);
            });
            const body = i % 2 === 1;
            sock.once('connect', () =>
              sock.write(
                body
                  ? 'POST /v1/verdicts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{'
                  : 'POST /v1/verdicts HTTP/1.1\r\nHost: x\r\n',
              ),
            );
            return sock;
          });
          const drip = setInterval(() => {
            for (const sock of sockets)
              if (!sock.destroyed) sock.write(sockets.indexOf(sock) % 2 ? ' ' : 'X');
          }, 1_000);
          const tally: LoadTally = { statuses: {}, latencies: [], shedWithoutRetryAfter: 0 };
          const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
          const until = Date.now() + 90_000;
          let n = 0;
          try {
            while (Date.now() < until && closedAfter.length < sockets.length) {
              await Promise.all(
                Array.from({ length: 4 }, () => post(agent, url, verdictBody('loris-probe', n++), tally)),
              );
              await sleep(50);
            }
          } finally {
            clearInterval(drip);
            ending = true;
            agent.destroy();
            for (const sock of sockets) sock.destroy();
          }
          fillLoad(row, tally);
          const sorted = [...closedAfter].sort((a, b) => a - b);
          Object.assign(row.figures, {
            closed_by_server: sorted.length,
            closed_p50_s: percentile(sorted, 50) / 1000,
            closed_max_s: (sorted.at(-1) ?? Number.NaN) / 1000,
          });
          row.held =
            !s.exited() &&
            sorted.length === sockets.length &&
            Number(row.figures.within_sdk_timeout_pct) >= 95;
        },
      ),
    );
    log(`  ${rows.at(-1)!.name}: ${JSON.stringify(rows.at(-1)!.figures)}`);
    if (s.exited())
      rows.push({
        section: 'overload',
        name: 'process',
        held: false,
        figures: {},
        goal,
        error: `serve died: ${s.output().slice(-300)}`,
        seconds: 0,
      });
  } finally {
    await serve?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}
