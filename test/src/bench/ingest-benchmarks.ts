import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { decodeOtlpTraces } from '@bulwark/collector';
import {
  type AgentEvent,
  fromOtlpJsonSpan,
  type OtlpJsonSpan,
  otlpAttributes,
  spanToAgentEvents,
  stampReceivedTimes,
} from '@bulwark/contracts';

import { Kafka, logLevel } from 'kafkajs';
import { forkStackProcess, type StackChild } from '../demo/stack-child.js';
import { tcpReachable } from '../tcp-reachable.js';
import type { BenchRow } from './bench-table.js';
import type { ChdbInsertRequest, ChdbInsertResult } from './chdb-insert-baseline.js';

/** Where the per-batch id goes in a batch template: replaced by 8 hex digits, unique per batch. */
export const BATCH_TOKEN = 'b0a7c4e1';
/** Where the session group goes: 8 hex digits, shared by `sessionsPerGroup` consecutive batches. */
export const GROUP_TOKEN = 'e5d3a9f2';

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

const WORDS =
  'invoice meeting customer order delivery payment budget travel hotel flight calendar notes draft summary revenue contract support ticket quarter report'.split(
    ' ',
  );

function resultText(seed: number, chars: number): string {
  let s = '';
  let x = seed * 2654435761;
  while (s.length < chars) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += ` ${WORDS[x % WORDS.length]}${x % 13 === 0 ? '.' : ''}`;
  }
  return s;
}

const kv = (key: string, value: string | number) =>
  typeof value === 'number'
    ? { key, value: { intValue: String(value) } }
    : { key, value: { stringValue: value } };

/**
 * An OTLP/JSON `ExportTraceServiceRequest` of `spans` tool-call spans (each carries its ~1 KB result, so it
 * maps to a `tool_call` and a `tool_result` event) over `sessions` sessions, as the agent SDK exports them.
 * Ids contain {@link BATCH_TOKEN} and session ids {@link GROUP_TOKEN}, to be replaced per request with
 * {@link stampBatch}.
 */
export function otlpBatchTemplate(spans: number, sessions: number, tenantId: string): string {
  const start = BigInt(Date.now()) * 1_000_000n;
  const list = Array.from({ length: spans }, (_, i) => {
    const session = `bench-${GROUP_TOKEN}-${i % sessions}`;
    const tool = ['search_documents', 'read_file', 'get_records', 'list_events'][i % 4]!;
    const callId = `call_${BATCH_TOKEN}_${i}`;
    return {
      traceId: `${BATCH_TOKEN}${hex8(i % sessions)}0000000000000001`,
      spanId: `${BATCH_TOKEN}${hex8(i + 1)}`,
      name: `tools/call ${tool}`,
      kind: 3,
      startTimeUnixNano: (start + BigInt(i) * 1_000_000n).toString(),
      endTimeUnixNano: (start + BigInt(i) * 1_000_000n + 500_000n).toString(),
      attributes: [
        kv('gen_ai.operation.name', 'execute_tool'),
        kv('mcp.method.name', 'tools/call'),
        kv('gen_ai.tool.name', tool),
        kv('gen_ai.tool.call.id', callId),
        kv('gen_ai.tool.call.arguments', JSON.stringify({ query: WORDS[i % WORDS.length] })),
        kv('gen_ai.tool.call.result', resultText(i + 1, 1000)),
        kv('gen_ai.conversation.id', session),
        kv('bulwark.session.id', session),
        kv('bulwark.tenant.id', tenantId),
        kv('gen_ai.agent.name', `agent-${i % 7}`),
      ],
    };
  });
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', 'bench-agent')] },
        scopeSpans: [{ scope: { name: '@bulwark/agent-sdk', version: '0.1.0' }, spans: list }],
      },
    ],
  });
}

/** The template with its tokens replaced for batch number `batch` (sessions shared by `batchesPerGroup` batches). */
export function stampBatch(template: string, batch: number, batchesPerGroup: number): string {
  return template
    .replaceAll(BATCH_TOKEN, hex8(batch + 1))
    .replaceAll(GROUP_TOKEN, hex8(Math.floor(batch / batchesPerGroup) + 1));
}

/** The events one stamped batch maps to, with the same mapper as the collector (received time stamped). */
export function batchEvents(body: string, tenantId: string): AgentEvent[] {
  const req = JSON.parse(body) as {
    resourceSpans: Array<{
      resource: { attributes: Parameters<typeof otlpAttributes>[0] };
      scopeSpans: Array<{ spans: OtlpJsonSpan[] }>;
    }>;
  };
  const events: AgentEvent[] = [];
  for (const rs of req.resourceSpans) {
    const resource = otlpAttributes(rs.resource.attributes);
    for (const ss of rs.scopeSpans)
      for (const s of ss.spans) {
        const res = spanToAgentEvents(fromOtlpJsonSpan(s, resource));
        if (res.ok) for (const e of res.events) events.push({ ...e, tenantId });
      }
  }
  stampReceivedTimes(events, Date.now());
  return events;
}

/** Events a batch maps to. */
function eventsPerBatch(template: string): number {
  return batchEvents(stampBatch(template, 0, 1), 'count').length;
}

/** CPU µs per span of `JSON.parse` of the same request bodies, in this process (the floor of any decoder). */
function jsonParseMicrosPerSpan(template: string, batches: number, batchSpans: number): number {
  const bodies = Array.from({ length: batches }, (_, b) => stampBatch(template, b, 4));
  let sink = 0;
  // Twice: the first pass warms the parser up, the second is measured.
  for (let pass = 0; pass < 2; pass++) {
    const cpu0 = process.cpuUsage();
    for (const body of bodies)
      sink += (JSON.parse(body) as { resourceSpans: unknown[] }).resourceSpans.length;
    const cpu = process.cpuUsage(cpu0);
    if (pass === 1) return sink > 0 ? (cpu.user + cpu.system) / (batches * batchSpans) : Number.NaN;
  }
  return Number.NaN;
}

/**
 * CPU µs per span of what the collector does to an export before it publishes it (decode, map, stamp the
 * received time), in this process over the same bodies, median of 5 passes after 2 warm-up passes.
 */
async function mapMicrosPerSpan(template: string, batches: number, batchSpans: number): Promise<number> {
  const bodies = Array.from({ length: batches }, (_, b) => Buffer.from(stampBatch(template, b, 4)));
  const passes: number[] = [];
  for (let pass = 0; pass < 7; pass++) {
    const cpu0 = process.cpuUsage();
    for (const body of bodies) {
      const decoded = await decodeOtlpTraces(body, 'json', { sliceMillis: Number.POSITIVE_INFINITY });
      if (!decoded.ok) throw new Error(decoded.message);
      const events: AgentEvent[] = [];
      for (const { span } of decoded.spans) {
        const res = spanToAgentEvents(span, { defaultTenantId: 'bench' });
        if (res.ok) for (const e of res.events) events.push(e);
      }
      stampReceivedTimes(events, Date.now());
    }
    const cpu = process.cpuUsage(cpu0);
    if (pass >= 2) passes.push((cpu.user + cpu.system) / (batches * batchSpans));
  }
  passes.sort((a, b) => a - b);
  return passes[2]!;
}

/**
 * CPU µs per span of storing the same rows in a fresh embedded chdb store, in batches of 5,000 rows, in a
 * process of its own (chdb binds one data directory per process): the floor of the embedded store.
 */
async function chdbInsertMicrosPerSpan(
  template: string,
  batches: number,
  batchSpans: number,
): Promise<ChdbInsertResult> {
  const events: AgentEvent[] = [];
  for (let b = 0; b < batches; b++) events.push(...batchEvents(stampBatch(template, b, 4), 'bench-chdb'));
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(`./chdb-insert-baseline.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  const child = fork(entry, [], {
    execArgv: fromSource ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const result = await new Promise<ChdbInsertResult>((resolve, reject) => {
    child.once('message', (m: ChdbInsertResult) => resolve(m));
    child.once('exit', (code) => reject(new Error(`chdb baseline exited with code ${code}`)));
    child.send({ events, batchRows: 5_000 } satisfies ChdbInsertRequest);
  });
  await new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
  if (result.error) throw new Error(`chdb baseline failed: ${result.error}`);
  return { ...result, cpuMicros: result.cpuMicros / (batches * batchSpans) };
}

/** Sum of a Prometheus counter's samples (optionally skipping label sets matching `skip`). */
export function metricSum(text: string, name: string, skip?: RegExp): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    if (skip?.test(line)) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) total += v;
  }
  return total;
}

interface IngestRun {
  spansPerSecond: number;
  spans: number;
  seconds: number;
  storedEvents: number;
  expectedEvents: number;
  /** Spans/records lost or refused: collector drops (except non-agent spans), bus refusals, store refusals, missing rows. */
  drops: number;
  retries429: number;
  /** CPU µs (user + system, all threads) the server process spent per span, from posting to all stored. */
  cpuMicrosPerSpan: number;
  note: string;
}

/**
 * Posts `spans` spans to `/v1/traces` in batches (`concurrency` requests in flight, retrying 429/503 after
 * `Retry-After` like an OTLP exporter), then polls the store until every event is there.
 */
async function runIngest(
  child: StackChild,
  spans: number,
  options: { batchSpans: number; concurrency: number; tenantId: string; timeoutMillis: number },
  log: (s: string) => void,
): Promise<IngestRun> {
  const batches = Math.ceil(spans / options.batchSpans);
  const template = otlpBatchTemplate(options.batchSpans, 10, options.tenantId);
  const expectedEvents = eventsPerBatch(template) * batches;
  let next = 0;
  let retries = 0;
  const cpuBefore = await child.cpuMicros();
  const started = performance.now();
  const post = async (): Promise<void> => {
    for (;;) {
      const b = next++;
      if (b >= batches) return;
      const body = stampBatch(template, b, 4);
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${child.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.arrayBuffer();
        if (res.status === 200) break;
        if ((res.status === 429 || res.status === 503) && attempt < 50) {
          retries++;
          await new Promise((r) =>
            setTimeout(r, Math.min(1_000, Number(res.headers.get('retry-after') ?? 1) * 1000)),
          );
          continue;
        }
        throw new Error(`POST /v1/traces answered ${res.status}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, post));
  const posted = performance.now();
  let stored = 0;
  let rejectedRows = 0;
  const deadline = started + options.timeoutMillis;
  while (performance.now() < deadline) {
    const c = await child.counts(options.tenantId);
    stored = c.counts.events;
    rejectedRows = c.rejectedRows;
    if (stored >= expectedEvents) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const done = performance.now();
  const cpuMicrosPerSpan = ((await child.cpuMicros()) - cpuBefore) / spans;
  const metrics = await (await fetch(`${child.url}/metrics`)).text();
  // Whole requests the bus refused (429/503) were retried by the poster above, like an OTLP exporter does:
  // counted by the collector, but nothing was lost. Lost is what never reached the store.
  const refusedSpans = metricSum(metrics, 'bulwark_collector_dropped_total', /^(?!.*reason="spans_)/);
  const otherDrops = metricSum(metrics, 'bulwark_collector_dropped_total', /not_agent_span|reason="spans_/);
  const missing = Math.max(0, expectedEvents - stored);
  const seconds = (done - started) / 1000;
  const intake = spans / ((posted - started) / 1000);
  log(
    `  ${spans} spans posted in ${((posted - started) / 1000).toFixed(1)} s, stored ${stored}/${expectedEvents} events after ${seconds.toFixed(1)} s`,
  );
  return {
    spansPerSecond: (spans * Math.min(1, stored / expectedEvents)) / seconds,
    spans,
    seconds,
    storedEvents: stored,
    expectedEvents,
    drops: missing + otherDrops,
    retries429: retries,
    cpuMicrosPerSpan,
    note:
      `${spans} tool-call spans (~1 KB results, 2 events each) in batches of ${options.batchSpans}, ${options.concurrency} in flight; ` +
      `server process CPU ${cpuMicrosPerSpan.toFixed(1)} µs/span (user + system, all threads, process.cpuUsage); ` +
      `intake (HTTP accepted) ${intake.toFixed(0)} spans/s, ${stored}/${expectedEvents} events stored after ${seconds.toFixed(1)} s; ` +
      `lost ${missing} events; /metrics: dropped_total (excluding non-agent spans and refused requests) ${otherDrops}, ` +
      `spans in requests refused with 429/503 and retried ${refusedSpans} (${retries} retries), store refusals waited out ${rejectedRows}` +
      (stored < expectedEvents ? `; TIMED OUT after ${(options.timeoutMillis / 1000).toFixed(0)} s` : ''),
  };
}

/** Bare kafkajs producer: `count` messages of `bytes` bytes to a fresh topic, batches of 500. Messages/s. */
async function kafkaProducerBaseline(count: number, bytes: number, topic: string): Promise<number> {
  const kafka = new Kafka({
    clientId: 'bulwark-bench',
    brokers: ['127.0.0.1:9092'],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 6, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const value = 'x'.repeat(bytes);
  const started = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < count; i += 500) {
    const messages = Array.from({ length: Math.min(500, count - i) }, (_, k) => ({
      key: `s-${(i + k) % 50}`,
      value,
    }));
    inFlight.push(producer.send({ topic, messages }));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const rate = count / ((performance.now() - started) / 1000);
  await producer.disconnect();
  return rate;
}

const SPANS = 50_000;
const BATCH_SPANS = 500;

/** What the same posts cost without the pipeline: HTTP intake alone and JSON.parse alone. */
interface IngestFloors {
  emptySpansPerSecond: number;
  emptyCpuMicrosPerSpan: number;
  jsonParseMicrosPerSpan: number;
}

/**
 * `ingest_spans_per_s.embedded` (in-process bus + chdb, what `bulwark serve` runs) and its CPU µs per span,
 * each beside baselines that leave out the work measured: the same posts to an empty handler on the same
 * HTTP stack, `JSON.parse` of the same bodies, and a chdb bulk insert of the same rows.
 */
async function benchEmbedded(log: (s: string) => void): Promise<BenchRow[]> {
  const child = await forkStackProcess({
    mode: 'stack',
    // As `bulwark serve` runs it: the in-process bus with its write-ahead log.
    stack: { port: 0, logLevel: 'error', busMaxBufferedRecords: 200_000, busWal: true },
  });
  let run: IngestRun;
  try {
    // Warm-up: JIT, first inserts, first session hydrations.
    await runIngest(
      child,
      2_000,
      { batchSpans: BATCH_SPANS, concurrency: 2, tenantId: 'bench-warmup', timeoutMillis: 60_000 },
      log,
    );
    run = await runIngest(
      child,
      SPANS,
      {
        batchSpans: BATCH_SPANS,
        concurrency: 4,
        tenantId: `bench-ingest-${Date.now()}`,
        timeoutMillis: 240_000,
      },
      log,
    );
  } finally {
    await child.close();
  }
  const floors = await ingestFloors(log);
  const template = otlpBatchTemplate(BATCH_SPANS, 10, 'bench-chdb');
  // 20,000 spans (40,000 rows) are enough for a steady per-row cost at 5,000-row batches.
  const chdb = await chdbInsertMicrosPerSpan(template, 40, BATCH_SPANS);
  log(
    `  baseline: chdb bulk insert of the same rows ${chdb.cpuMicros.toFixed(1)} CPU µs/span (${chdb.rows} rows)`,
  );
  const floor = floors.emptyCpuMicrosPerSpan + floors.jsonParseMicrosPerSpan + chdb.cpuMicros;
  const mapMicros = await mapMicrosPerSpan(template, 40, BATCH_SPANS);
  log(`  decode + map + stamp in process: ${mapMicros.toFixed(1)} CPU µs/span`);
  const floorNote =
    `empty handler ${floors.emptyCpuMicrosPerSpan.toFixed(1)} + JSON.parse ${floors.jsonParseMicrosPerSpan.toFixed(1)} + ` +
    `chdb bulk insert of the same rows (5,000-row batches) ${chdb.cpuMicros.toFixed(1)} CPU µs/span`;
  return [
    {
      name: 'ingest_spans_per_s.embedded',
      unit: 'spans/s (embedded: memory bus + chdb)',
      value: run.spansPerSecond,
      baseline: floors.emptySpansPerSecond,
      baselineName: 'empty node:http handler taking the same OTLP posts',
      goal: '≥ 50,000, 0 drops',
      met: run.spansPerSecond >= 50_000 && run.drops === 0,
      note: `${run.note}; floors (same run): ${floorNote}`,
    },
    {
      name: 'ingest_map_us_per_span',
      unit: 'CPU µs per span: OTLP/JSON decode + span mapping + received-time stamp, in process',
      value: mapMicros,
      baseline: floors.jsonParseMicrosPerSpan,
      baselineName: 'JSON.parse of the same bodies',
      note: `median of 5 passes over 20,000 spans; ${(mapMicros / floors.jsonParseMicrosPerSpan).toFixed(1)}× JSON.parse`,
    },
    {
      name: 'ingest_cpu_us_per_span.embedded',
      unit: 'CPU µs per span, server process (embedded)',
      value: run.cpuMicrosPerSpan,
      baseline: floor,
      baselineName: 'empty handler + JSON.parse + chdb insert of the same rows',
      goal: '≤ 40 (50,000 spans/s on 2 cores)',
      met: run.cpuMicrosPerSpan <= 40,
      note: `${floorNote}; ratio ${(run.cpuMicrosPerSpan / floor).toFixed(1)}× the floor`,
    },
  ];
}

/**
 * The intake alone: the same posts to an empty `node:http` handler (HTTP + body transfer), with that
 * process's CPU per span, and `JSON.parse` of the same bodies in this process.
 */
async function ingestFloors(log: (s: string) => void): Promise<IngestFloors> {
  const template = otlpBatchTemplate(BATCH_SPANS, 10, 'bench-baseline');
  const batches = Math.ceil(SPANS / BATCH_SPANS);
  const empty = await forkStackProcess({ mode: 'empty' });
  let emptySpansPerSecond: number;
  let emptyCpuMicrosPerSpan: number;
  try {
    let next = 0;
    const cpu0 = await empty.cpuMicros();
    const started = performance.now();
    const post = async () => {
      for (let b = next++; b < batches; b = next++) {
        const res = await fetch(`${empty.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: stampBatch(template, b, 4),
        });
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 4 }, post));
    emptySpansPerSecond = SPANS / ((performance.now() - started) / 1000);
    emptyCpuMicrosPerSpan = ((await empty.cpuMicros()) - cpu0) / SPANS;
  } finally {
    await empty.close();
  }
  const jsonParse = jsonParseMicrosPerSpan(template, batches, BATCH_SPANS);
  log(
    `  baseline: empty handler took ${SPANS} spans at ${emptySpansPerSecond.toFixed(0)} spans/s, ` +
      `${emptyCpuMicrosPerSpan.toFixed(1)} CPU µs/span; JSON.parse of the same bodies ${jsonParse.toFixed(1)} CPU µs/span`,
  );
  return { emptySpansPerSecond, emptyCpuMicrosPerSpan, jsonParseMicrosPerSpan: jsonParse };
}

/** `ingest_spans_per_s.kafka` through Kafka + ClickHouse server, beside a bare kafkajs producer. */
async function benchKafka(log: (s: string) => void): Promise<BenchRow[]> {
  const name = 'ingest_spans_per_s.kafka';
  const unit = 'spans/s (Kafka + ClickHouse server)';
  const [kafkaUp, clickhouseUp] = await Promise.all([
    tcpReachable('127.0.0.1', 9092, 500),
    tcpReachable('127.0.0.1', 8123, 500),
  ]);
  if (!kafkaUp || !clickhouseUp) {
    const missing = [
      !kafkaUp ? 'Kafka on 127.0.0.1:9092' : '',
      !clickhouseUp ? 'ClickHouse on 127.0.0.1:8123' : '',
    ]
      .filter(Boolean)
      .join(' and ');
    log(`  skipped: ${missing} not reachable`);
    return [
      {
        name,
        unit,
        value: Number.NaN,
        baseline: Number.NaN,
        baselineName: 'bare kafkajs producer',
        goal: '≥ 20,000, 0 drops',
        note: `SKIPPED: ${missing} not reachable (node scripts/kafka.mjs start; node scripts/clickhouse.mjs start)`,
      },
    ];
  }
  const run = `b${Date.now().toString(36)}`;
  const child = await forkStackProcess({
    mode: 'stack',
    stack: {
      port: 0,
      logLevel: 'error',
      bus: 'kafka',
      kafkaBrokers: ['127.0.0.1:9092'],
      kafkaTopicPrefix: `bulwark-bench-${run}`,
      workerGroupId: `bulwark-bench-${run}`,
      store: 'server',
      clickhouseUrl: 'http://127.0.0.1:8123',
      database: 'bulwark_bench',
    },
  });
  try {
    await runIngest(
      child,
      2_000,
      { batchSpans: BATCH_SPANS, concurrency: 2, tenantId: `warm-${run}`, timeoutMillis: 90_000 },
      log,
    );
    const res = await runIngest(
      child,
      SPANS,
      { batchSpans: BATCH_SPANS, concurrency: 4, tenantId: `bench-${run}`, timeoutMillis: 240_000 },
      log,
    );
    // The events travel on the bus as ~1.3 KB of JSON each, 2 per span; the baseline sends as many messages.
    const base = await kafkaProducerBaseline(SPANS * 2, 1_300, `bulwark-bench-${run}.baseline`);
    log(`  baseline: bare kafkajs producer ${base.toFixed(0)} messages/s (${(base / 2).toFixed(0)} spans/s)`);
    return [
      {
        name,
        unit,
        value: res.spansPerSecond,
        baseline: base / 2,
        baselineName: 'bare kafkajs producer of the same 2 messages per span (spans/s)',
        goal: '≥ 20,000, 0 drops',
        met: res.spansPerSecond >= 20_000 && res.drops === 0,
        note: `${res.note}; bare producer ${base.toFixed(0)} messages/s`,
      },
      {
        name: 'ingest_cpu_us_per_span.kafka',
        unit: 'CPU µs per span, collector + worker process (Kafka + ClickHouse server)',
        value: res.cpuMicrosPerSpan,
        baseline: Number.NaN,
        baselineName: 'floors: see ingest_cpu_us_per_span.embedded',
        note: 'the broker (JVM) and the ClickHouse server run on the same 2 cores and are not in this figure',
      },
    ];
  } finally {
    await child.close();
    await deleteTopics(`bulwark-bench-${run}.`).catch((err: unknown) =>
      log(`  could not delete the benchmark topics: ${(err as Error).message}`),
    );
  }
}

/** Removes this run's topics from the shared broker (they only hold benchmark data). */
async function deleteTopics(prefix: string): Promise<void> {
  const kafka = new Kafka({
    clientId: 'bulwark-bench',
    brokers: ['127.0.0.1:9092'],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}

/** The ingest benchmarks, for `extra-benchmarks.ts`. */
export const ingestBenchmarks = [
  { name: 'ingest_spans_per_s', run: benchEmbedded },
  { name: 'ingest_spans_per_s_kafka', run: benchKafka },
];
