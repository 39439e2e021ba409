import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClickHouseServerEventStore } from '@bulwark/stream';
import { readEmbedded, type SoakProcess, serviceScript, startServe, startWorker } from './soak-processes.js';
import { runRow, type SoakRow } from './soak-row.js';
import { reconcile, settle, sleep, storedIds, streamSpans } from './soak-traffic.js';

const GOAL = '0 acknowledged missing, duplicates collapsed';

function fill(row: SoakRow, counts: ReturnType<typeof reconcile>, statuses: Record<string, number>) {
  Object.assign(row.figures, counts, {
    answers: Object.entries(statuses)
      .map(([k, v]) => `${k}:${v}`)
      .join(','),
  });
  row.held = counts.missing === 0;
}

/** `bulwark serve` (in-process bus + embedded chdb) SIGKILLed mid-stream and restarted on the same data dir. */
export async function embeddedServeKill(log: (s: string) => void, spansPerPhase: number): Promise<SoakRow> {
  return runRow('faults', 'serve (embedded) SIGKILL + restart', GOAL, 150_000, async (row) => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-soak-serve-'));
    const env = { BULWARK_DATA_DIR: dataDir };
    let serve: SoakProcess | undefined = await startServe(env);
    const tenant = 'soak-embedded';
    const stream = streamSpans({ urlOf: () => serve?.url, tenant, prefix: 'emb', batch: 20, concurrency: 2 });
    try {
      await settle(
        async () => stream.result.acknowledged.size,
        (n) => n >= spansPerPhase,
        60_000,
      );
      const before = stream.result.acknowledged.size;
      const ackedBeforeKill = new Set(stream.result.acknowledged);
      serve.kill('SIGKILL');
      serve = undefined;
      log(`  serve SIGKILLed after ${before} acknowledged spans; restarting`);
      serve = await startServe(env);
      await settle(
        async () => stream.result.acknowledged.size,
        (n) => n >= before + spansPerPhase,
        60_000,
      );
      const result = await stream.stop();
      await serve.stop();
      serve = undefined;
      const stored = (await readEmbedded({ dataDir, idsOf: [tenant] })).ids[tenant] ?? new Map();
      fill(row, reconcile(result.acknowledged, stored), result.statuses);
      row.figures.acknowledged_before_kill = before;
      row.figures.missing_of_those = [...ackedBeforeKill].filter((id) => !stored.has(id)).length;
    } finally {
      await stream.stop();
      await serve?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

/** Ports and data dirs of the soak's own Kafka broker and ClickHouse server (never the shared ones). */
export interface SoakServices {
  kafkaEnv: Record<string, string>;
  clickhouseEnv: Record<string, string>;
  broker: string;
  clickhouseUrl: string;
}

/**
 * The Kafka-mode fault rows: one collector (`bulwark serve --kafka`, no store in it) and one stream worker
 * process storing into the ClickHouse server; each row streams one tenant's spans with one fault in the
 * middle: worker SIGKILL, broker stop/start, ClickHouse stop/start, collector SIGKILL.
 */
export async function kafkaFaultRows(
  services: SoakServices,
  log: (s: string) => void,
  phaseMillis: number,
): Promise<SoakRow[]> {
  const run = `soak${Date.now().toString(36)}`;
  const topics = {
    events: `bulwark.${run}.events`,
    verdicts: `bulwark.${run}.verdicts`,
    findings: `bulwark.${run}.findings`,
    alerts: `bulwark.${run}.alerts`,
  };
  const serveEnv = {
    BULWARK_WORKER: 'false',
    BULWARK_KAFKA_TOPIC_EVENTS: topics.events,
    BULWARK_KAFKA_TOPIC_VERDICTS: topics.verdicts,
    BULWARK_KAFKA_TOPIC_FINDINGS: topics.findings,
    BULWARK_KAFKA_TOPIC_ALERTS: topics.alerts,
    BULWARK_BUS_MAX_BUFFERED_RECORDS: '200000',
  };
  const workerConfig = {
    brokers: [services.broker],
    topics,
    groupId: `bulwark-${run}`,
    clickhouseUrl: services.clickhouseUrl,
    database: run,
  };
  let collector: SoakProcess | undefined;
  let worker: SoakProcess | undefined;
  const rows: SoakRow[] = [];
  const startCollector = () => startServe(serveEnv, ['--kafka', services.broker]);
  const waitReady = async (what: string) => {
    const ready = await settle(
      async () => {
        if (!collector) return 0;
        try {
          return (await fetch(`${collector.url}/readyz`, { signal: AbortSignal.timeout(2_000) })).status;
        } catch {
          return 0;
        }
      },
      (s) => s === 200,
      120_000,
    );
    if (ready !== 200) throw new Error(`collector not ready (${ready}) ${what}`);
  };
  let reader: ClickHouseServerEventStore | undefined;

  const faultRow = (name: string, fault: (row: SoakRow) => Promise<void>) =>
    runRow('faults', `kafka mode: ${name}`, GOAL, 200_000, async (row) => {
      if (!collector || collector.exited()) collector = await startCollector();
      if (!worker || worker.exited()) worker = await startWorker(workerConfig);
      await waitReady('before the fault');
      const tenant = `soak-${name.replace(/\W+/g, '-')}`;
      const stream = streamSpans({
        urlOf: () => collector?.url,
        tenant,
        prefix: tenant,
        batch: 20,
        concurrency: 2,
        paceMillis: 10,
      });
      try {
        await sleep(phaseMillis);
        await fault(row);
        await sleep(phaseMillis);
      } finally {
        await stream.stop();
      }
      const acknowledged = stream.result.acknowledged;
      reader ??= await ClickHouseServerEventStore.open({ url: services.clickhouseUrl, database: run });
      const store = reader;
      const stored = await settle(
        () => storedIds(store, tenant).catch(() => new Map<string, number>()),
        (m) => [...acknowledged].every((id) => m.has(id)),
        90_000,
      );
      fill(row, reconcile(acknowledged, stored), stream.result.statuses);
      const collapsed = await storedIds(store, tenant, true).catch(() => undefined);
      if (collapsed) row.figures.duplicated_after_final = [...collapsed.values()].filter((n) => n > 1).length;
      if (stream.result.retryAfterMissing)
        row.figures.shed_without_retry_after = stream.result.retryAfterMissing;
    });

  try {
    collector = await startCollector();
    worker = await startWorker(workerConfig);
    rows.push(
      await faultRow('worker SIGKILL + restart', async () => {
        worker?.kill('SIGKILL');
        await sleep(1_000);
        worker = await startWorker(workerConfig);
      }),
    );
    log(`  ${rows.at(-1)!.name}: ${JSON.stringify(rows.at(-1)!.figures)}`);
    rows.push(
      await faultRow('Kafka broker stop + start', async (row) => {
        const stop = await serviceScript('kafka', 'stop', services.kafkaEnv);
        if (stop.code !== 0) throw new Error(`kafka stop: ${stop.out.slice(-300)}`);
        await sleep(2_000);
        const start = await serviceScript('kafka', 'start', services.kafkaEnv);
        if (start.code !== 0) throw new Error(`kafka start: ${start.out.slice(-300)}`);
        row.figures.broker_down_s = Number(((stop.millis + 2_000 + start.millis) / 1000).toFixed(1));
        await waitReady('after the broker restart');
      }),
    );
    log(`  ${rows.at(-1)!.name}: ${JSON.stringify(rows.at(-1)!.figures)}`);
    rows.push(
      await faultRow('ClickHouse server stop + start', async () => {
        const stop = await serviceScript('clickhouse', 'stop', services.clickhouseEnv);
        if (stop.code !== 0) throw new Error(`clickhouse stop: ${stop.out.slice(-300)}`);
        await sleep(2_000);
        const start = await serviceScript('clickhouse', 'start', services.clickhouseEnv);
        if (start.code !== 0) throw new Error(`clickhouse start: ${start.out.slice(-300)}`);
      }),
    );
    log(`  ${rows.at(-1)!.name}: ${JSON.stringify(rows.at(-1)!.figures)}`);
    rows.push(
      await faultRow('collector SIGKILL + restart', async () => {
        collector?.kill('SIGKILL');
        collector = undefined;
        collector = await startCollector();
      }),
    );
    log(`  ${rows.at(-1)!.name}: ${JSON.stringify(rows.at(-1)!.figures)}`);
  } finally {
    await collector?.stop();
    await worker?.stop();
    await reader?.shutdown().catch(() => {});
    await fetch(`${services.clickhouseUrl}/`, {
      method: 'POST',
      body: `DROP DATABASE IF EXISTS ${run}`,
    }).catch(() => {});
  }
  return rows;
}
