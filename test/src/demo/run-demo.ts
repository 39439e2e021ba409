import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createBulwarkTracerProvider } from '@bulwark/agent-sdk/setup';
import { readServeLock } from '@bulwark/cli';
import { QUERIES } from '@bulwark/stream';
import { tcpReachable } from '../tcp-reachable.js';
import { type BulwarkStack, startBulwarkStack } from './bulwark-stack.js';
import { type DemoServerDirs, REPO_ROOT } from './mcp-servers.js';
import type { RecordedVerdict } from './recording-verdict-provider.js';
import { SCENARIOS, type ScenarioResult } from './scenarios.js';

const HELP = `usage: npm run demo [-- --data-dir <dir>] [-- --only 1,3]

Starts the Bulwark collector (OTLP/HTTP + verdict API, stream worker, embedded store) on a free loopback
port and drives scripted agents, instrumented with the agent SDK, against real MCP servers over stdio.

options:
  --data-dir <dir>   keep the stored events there (default: a temporary directory, removed at the end)
  --only <ids>       run only these scenarios (comma-separated numbers 1-5)
  -h, --help         this text

Exit code 0 when every scenario got its expected verdict, 1 otherwise, 2 for bad options.`;

/** A path relative to the working directory when it is below it, else absolute. */
function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') ? p : rel;
}

const out = (line = '') => process.stdout.write(`${line}\n`);

function firstLine(s: string, max = 110): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function printVerdict(v: RecordedVerdict): void {
  const r = v.verdict.reasons.find((x) => x.decision === v.verdict.decision) ?? v.verdict.reasons[0];
  const decision = v.verdict.decision.toUpperCase().padEnd(7);
  out(
    `    verdict  ${v.agent.padEnd(14)} ${v.request.toolCall.toolName.padEnd(15)} ${decision} ${(r?.detectorId ?? '-').padEnd(21)} ${v.roundTripMillis.toFixed(1).padStart(5)} ms${r ? `  "${firstLine(r.message)}"` : ''}`,
  );
}

/** Counts what the worker stored for the demo's sessions, waiting until it stops growing. */
async function storedCounts(
  stack: BulwarkStack,
  sessionIds: readonly string[],
  timeoutMillis: number,
): Promise<{ events: number; verdicts: number; findings: number }> {
  const count = async () => {
    const totals = { events: 0, verdicts: 0, findings: 0 };
    for (const sessionId of sessionIds) {
      const p = { tenantId: 'default', sessionId };
      const [e, v, f] = await Promise.all([
        stack.store.query(QUERIES.sessionEvents, p),
        stack.store.query(QUERIES.sessionVerdicts, p),
        stack.store.query(QUERIES.sessionFindings, p),
      ]);
      totals.events += e.ok ? e.rows.length : 0;
      totals.verdicts += v.ok ? v.rows.length : 0;
      totals.findings += f.ok ? f.rows.length : 0;
    }
    return totals;
  };
  const deadline = Date.now() + timeoutMillis;
  let last = await count();
  for (;;) {
    await new Promise((r) => setTimeout(r, 400));
    await stack.store.forceFlush().catch(() => {});
    const now = await count();
    const stable =
      now.events === last.events && now.verdicts === last.verdicts && now.findings === last.findings;
    if ((stable && now.events > 0) || Date.now() > deadline) return now;
    last = now;
  }
}

/** Lines of the collector's /metrics worth showing (verdict counts by decision, drops). */
async function metricsHighlights(url: string): Promise<string[]> {
  try {
    const res = await fetch(`${url}/metrics`);
    const text = await res.text();
    return text
      .split('\n')
      .filter(
        (l) =>
          /^bulwark_collector_(verdicts_total|spans_received_total|dropped_total|records_published_total)\{?/.test(
            l,
          ) && !l.startsWith('#'),
      )
      .slice(0, 12);
  } catch (err) {
    return [`(could not read /metrics: ${(err as Error).message})`];
  }
}

async function main(): Promise<number> {
  let values: { 'data-dir'?: string; only?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        'data-dir': { type: 'string' },
        only: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (values.help) {
    out(HELP);
    return 0;
  }
  const only = values.only?.split(',').map((s) => Number(s.trim()));
  if (only?.some((n) => !SCENARIOS.some((s) => s.id === n))) {
    process.stderr.write(`demo: --only takes scenario numbers 1-${SCENARIOS.length}, got "${values.only}"\n`);
    return 2;
  }
  const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.id));
  const started = Date.now();

  const work = mkdtempSync(path.join(os.tmpdir(), 'bulwark-demo-'));
  const dirs: DemoServerDirs = {
    files: path.join(work, 'files'),
    memoryFile: path.join(work, 'memory.jsonl'),
    outbox: path.join(work, 'outbox.jsonl'),
  };
  mkdirSync(dirs.files);
  const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : undefined;
  // chdb binds a data directory to one process: the demo's own collector cannot share serve's.
  const holder = dataDir ? readServeLock(dataDir) : undefined;
  if (holder) {
    rmSync(work, { recursive: true, force: true });
    process.stderr.write(
      `demo: ${displayPath(dataDir!)} is held by a running \`bulwark serve\` (pid ${holder.pid}); the demo runs its own collector, so give it another directory (e.g. --data-dir demo-data) and watch serve's data live at ${holder.url}/\n`,
    );
    return 2;
  }

  out('Bulwark demo: scripted agents, real MCP servers over stdio, a real collector over HTTP');
  const stack = await startBulwarkStack({ port: 0, logLevel: 'error', ...(dataDir ? { dataDir } : {}) });
  const tracing = createBulwarkTracerProvider({
    serviceName: 'bulwark-demo',
    url: `${stack.url}/v1/traces`,
    resourceAttributes: { 'deployment.environment.name': 'demo' },
  });
  out(
    `  collector  ${stack.url}  (POST /v1/traces, POST /v1/verdicts; in-process bus → stream worker → chdb)`,
  );
  out(`  engine     ${stack.engine.detectorIds.join(', ')}`);
  const onVerdict = (v: RecordedVerdict) => printVerdict(v);
  out('  model      scripted: a fixed list of tool calls per scenario, recorded with session.recordLlmCall');

  const results: Array<{ id: number; title: string } & ScenarioResult> = [];
  const sessionIds: string[] = [];
  try {
    for (const s of scenarios) {
      out();
      out(`[${s.id}] ${s.title}`);
      let r: ScenarioResult;
      try {
        r = await s.run({
          collectorUrl: stack.url,
          dirs,
          engineDetectors: stack.engine.detectorIds,
          onVerdict,
          log: out,
        });
      } catch (err) {
        r = { expected: '-', got: `failed: ${(err as Error).message}`, ok: false, sessionIds: [] };
      }
      sessionIds.push(...r.sessionIds);
      results.push({ id: s.id, title: s.title, ...r });
    }

    await tracing.forceFlush();
    const stored = await storedCounts(stack, sessionIds, 15_000);
    const metrics = await metricsHighlights(stack.url);

    out();
    out('Summary');
    const w = Math.max(...results.map((r) => r.title.length));
    const we = Math.max(...results.map((r) => r.expected.length));
    for (const r of results) {
      out(
        `  ${r.id}  ${r.title.padEnd(w)}  expected: ${r.expected.padEnd(we)}  got: ${r.got}  ${r.ok ? 'PASS' : 'FAIL'}`,
      );
    }
    const passed = results.filter((r) => r.ok).length;
    out(
      `  ${passed}/${results.length} scenarios got their expected verdict (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    out();
    out(
      `Stored by the stream worker for these sessions: ${stored.events} events, ${stored.verdicts} verdicts, ${stored.findings} findings`,
    );
    out();
    out('Where to look next');
    const hasReport =
      existsSync(path.join(REPO_ROOT, 'collector', 'dist', 'commands', 'report.js')) ||
      existsSync(path.join(REPO_ROOT, 'collector', 'src', 'commands', 'report.ts'));
    const reportCmd = dataDir
      ? `npx bulwark report --data-dir ${displayPath(dataDir)} --out report.html`
      : 'npm run demo -- --data-dir demo-data, then npx bulwark report --data-dir demo-data --out report.html';
    out(
      hasReport
        ? `  report   ${reportCmd}`
        : '  report   `npx bulwark report --out report.html` is not in this build yet',
    );
    const compose = ['docker-compose.yml', 'compose.yaml', 'docker-compose.yaml']
      .flatMap((f) => [path.join(REPO_ROOT, f), path.join(REPO_ROOT, 'dashboards', f)])
      .find((f) => existsSync(f));
    const grafanaUp = await tcpReachable('127.0.0.1', 3000, 300);
    const grafanaDir = path.join(REPO_ROOT, 'dashboards', 'grafana');
    const dashboards = existsSync(grafanaDir) ? readdirSync(grafanaDir).length : 0;
    out(
      grafanaUp
        ? '  grafana  http://127.0.0.1:3000 is up: open the Bulwark dashboard'
        : compose
          ? `  grafana  docker compose -f ${displayPath(compose)} up -d --build, then http://127.0.0.1:3000 (needs Docker)`
          : `  grafana  not running here; dashboards as code in dashboards/grafana/ (${dashboards} entries) — needs Docker`,
    );
    out(
      '  live     npm start, then open http://127.0.0.1:4318/ (the analyst page; `npx bulwark report` and `hunt` work alongside it)',
    );
    out(`  metrics  npm start, then curl http://127.0.0.1:4318/metrics; this run's collector said:`);
    for (const m of metrics) out(`             ${m}`);
    return passed === results.length && results.length > 0 ? 0 : 1;
  } finally {
    await tracing.shutdown().catch(() => {});
    await stack
      .close()
      .catch((err: unknown) => process.stderr.write(`demo: shutdown: ${(err as Error).message}\n`));
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
