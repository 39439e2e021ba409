import { performance } from 'node:perf_hooks';
import type { AgentEvent, VerdictRequest } from '@bulwark/contracts';
import {
  AnalysisCache,
  type AnalysisCacheStats,
  analyzeText,
  DetectionEngine,
  percentile,
} from '@bulwark/detectors';
import type { BenchRow } from './bench-table.js';
import { syntheticSession } from './synthetic-sessions.js';

const micros = () => performance.now() * 1000;

interface Workload {
  sessions: Array<{ events: AgentEvent[]; calls: VerdictRequest[] }>;
  source: string;
}

/** Decides every call of the workload after ingesting what came before; returns per-call decide times. */
function replay(engine: DetectionEngine, w: Workload): number[] {
  const times: number[] = [];
  for (const s of w.sessions) {
    let ci = 0;
    for (const e of s.events) {
      if (e.kind === 'tool_call') {
        const c = s.calls[ci++];
        if (c) {
          const t0 = micros();
          engine.decide(c);
          times.push(micros() - t0);
        }
        continue;
      }
      engine.ingest(e);
    }
    for (; ci < s.calls.length; ci++) {
      const t0 = micros();
      engine.decide(s.calls[ci]!);
      times.push(micros() - t0);
    }
  }
  return times;
}

export function syntheticWorkload(n: number): Workload {
  return {
    sessions: Array.from({ length: n }, (_, i) => syntheticSession(i)),
    source: `${n} synthetic sessions`,
  };
}

/** `verdict_inprocess_us`: decide() p50/p99 on replayed sessions, beside an engine with no detectors. */
export function benchVerdictInProcess(w: Workload): BenchRow {
  replay(new DetectionEngine(), w); // warm-up (JIT)
  const full = replay(new DetectionEngine(), w);
  const bare = replay(new DetectionEngine({ detectors: [] }), w);
  const p99 = percentile(full, 99);
  return {
    name: 'verdict_inprocess_us',
    unit: 'µs p50 / p99',
    value: { p50: percentile(full, 50), p99 },
    baseline: { p50: percentile(bare, 50), p99: percentile(bare, 99) },
    baselineName: 'engine with no detectors',
    goal: 'p99 ≤ 100',
    met: p99 <= 100,
    note: `${full.length} verdicts over ${w.source}`,
  };
}

/** Seconds of CPU this process used (user + system): steadier than wall time on a shared machine. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Events per CPU-second through `engine.ingest` (and decide, for `tool_call` events) on one thread. */
function ingestRate(engine: DetectionEngine, events: readonly AgentEvent[]): number {
  const t0 = cpuSeconds();
  for (const e of events) engine.ingest(e);
  return events.length / (cpuSeconds() - t0);
}

/** `JSON.parse` of the same events, encoded as they travel (best of two, like the measured figures). */
function jsonParseRate(encoded: readonly string[]): number {
  let best = 0;
  for (let r = 0; r < 2; r++) {
    const t0 = cpuSeconds();
    let sink = 0;
    for (const s of encoded)
      sink += (JSON.parse(s) as { timestampMillis: number }).timestampMillis > 0 ? 1 : 0;
    best = Math.max(best, sink / (cpuSeconds() - t0));
  }
  return best;
}

const hitRatio = (s: AnalysisCacheStats | undefined) =>
  s && s.hits + s.misses > 0 ? `${((100 * s.hits) / (s.hits + s.misses)).toFixed(0)} %` : 'n/a';

/**
 * `detector_events_per_s` (cache-warm): events through the full engine per second on one core, with the
 * text analysis cache already holding every text (an earlier pass filled it; the sessions are new), beside
 * JSON decoding of the same events. Best of two passes, each on a new engine sharing the cache.
 */
export function benchDetectorThroughput(w: Workload): BenchRow {
  const events = w.sessions.flatMap((s) => s.events);
  const encoded = events.map((e) => JSON.stringify(e));
  const cache = new AnalysisCache();
  ingestRate(new DetectionEngine({ analysisCache: cache }), events); // fills the cache, warms the JIT
  const before = cache.stats();
  const rate = Math.max(
    ingestRate(new DetectionEngine({ analysisCache: cache }), events),
    ingestRate(new DetectionEngine({ analysisCache: cache }), events),
  );
  const after = cache.stats();
  const base = jsonParseRate(encoded);
  return {
    name: 'detector_events_per_s',
    unit: 'events per CPU-s (cache-warm)',
    value: rate,
    baseline: base,
    baselineName: 'JSON.parse of the same events',
    goal: '≥ 100,000',
    met: rate >= 100_000,
    note: `${events.length} events (prompts, completions, calls, ~1 KB results); ${(base / rate).toFixed(1)}× slower than JSON.parse; analysis cache hits ${hitRatio({ ...after, hits: after.hits - before.hits, misses: after.misses - before.misses })}, ${after.entries} entries, ${(after.bytes / 2 ** 20).toFixed(1)} MiB`,
  };
}

/**
 * `detector_events_per_s_cold`: the same on a new engine with an empty analysis cache (the JIT warmed on
 * another engine first), so each distinct text is analysed once in the pass; beside JSON decoding of the
 * same events, and (in the note) the engine with the cache switched off.
 */
export function benchDetectorThroughputCold(w: Workload): BenchRow {
  const events = w.sessions.flatMap((s) => s.events);
  const encoded = events.map((e) => JSON.stringify(e));
  ingestRate(new DetectionEngine(), events); // JIT warm-up on its own cache
  const engines = [new DetectionEngine(), new DetectionEngine()];
  const rate = Math.max(...engines.map((e) => ingestRate(e, events)));
  const off = ingestRate(new DetectionEngine({ analysisCache: false }), events);
  const base = jsonParseRate(encoded);
  return {
    name: 'detector_events_per_s_cold',
    unit: 'events per CPU-s (cache-cold)',
    value: rate,
    baseline: base,
    baselineName: 'JSON.parse of the same events',
    goal: '≥ 30,000',
    met: rate >= 30_000,
    note: `${events.length} events; ${(base / rate).toFixed(1)}× slower than JSON.parse; analysis cache hits within the pass ${hitRatio(engines[0]?.cacheStats())}; with the cache off ${off.toFixed(0)} events/s`,
  };
}

/** Distinct 1 KB windows of the workload's tool results (at most `max`). */
function kilobyteResults(w: Workload, max: number): string[] {
  const seen = new Set<string>();
  for (const s of w.sessions) {
    for (const e of s.events) {
      if (e.kind !== 'tool_result' || typeof e.content !== 'string') continue;
      for (let off = 0; off + 1024 <= e.content.length && seen.size < max; off += 256)
        seen.add(e.content.slice(off, off + 1024));
    }
  }
  return [...seen];
}

/** CPU µs per text of `f` over `texts`, best of two passes. */
function cpuMicrosPerText(texts: readonly string[], f: (t: string) => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 2; r++) {
    const t0 = cpuSeconds();
    for (const t of texts) f(t);
    best = Math.min(best, ((cpuSeconds() - t0) * 1e6) / texts.length);
  }
  return best;
}

/**
 * `text_analysis_us_per_kb`: CPU µs to analyse one distinct 1 KB tool result (no cache: what every new
 * text costs), beside one `toLowerCase()` and one regex test over the same text.
 */
export function benchTextAnalysis(w: Workload): BenchRow {
  const texts = kilobyteResults(w, 3_000);
  for (const t of texts.slice(0, 300)) analyzeText(t, 'untrusted-input'); // JIT warm-up
  const us = cpuMicrosPerText(texts, (t) => analyzeText(t, 'untrusted-input'));
  const base = cpuMicrosPerText(texts, (t) => /ignore|instruction/.test(t.toLowerCase()));
  return {
    name: 'text_analysis_us_per_kb',
    unit: 'CPU µs per distinct 1 KB tool result (cold)',
    value: us,
    baseline: base,
    baselineName: 'one toLowerCase() + one regex test over the same text',
    goal: '≤ 20',
    met: us <= 20,
    note: `${texts.length} distinct 1 KB windows of ${w.source} tool results; ${(us / base).toFixed(0)}× the baseline`,
  };
}

/** `memory_per_session_kb`: heap per active session with 10,000 sessions held, beside keeping their raw events as JSON. */
export function benchMemoryPerSession(n = 10_000): BenchRow {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run node with --expose-gc for the memory benchmark');
  const settle = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const before = settle();
  let engine: DetectionEngine | undefined = new DetectionEngine();
  for (let i = 0; i < n; i++) {
    const { events, calls } = syntheticSession(i);
    for (const e of events) if (e.kind !== 'tool_call') engine.ingest(e);
    for (const c of calls) engine.decide(c);
  }
  const held = engine.sessionCount();
  const after = settle();
  engine = undefined;
  const mid = settle();
  const raw: AgentEvent[][] = [];
  for (let i = 0; i < n; i++) raw.push(syntheticSession(i).events);
  const rawAfter = settle();
  const kb = (after - before) / held / 1024;
  const baseKb = (rawAfter - mid) / raw.length / 1024;
  return {
    name: 'memory_per_session_kb',
    unit: 'KiB/session',
    value: kb,
    baseline: baseKb,
    baselineName: 'the same events kept as objects',
    goal: '≤ 32',
    met: kb <= 32,
    note: `${held} active sessions`,
  };
}
