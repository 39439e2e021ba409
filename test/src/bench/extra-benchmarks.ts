import type { BenchRow } from './bench-table.js';
import { httpBenchmarks } from './http-benchmarks.js';
import { ingestBenchmarks } from './ingest-benchmarks.js';

/** Benchmarks that need servers (HTTP verdicts, ingest pipelines); registered here so the runner stays small. */
export interface ExtraBenchmark {
  name: string;
  run: (log: (s: string) => void) => Promise<BenchRow[]>;
}

export const extraBenchmarks: ExtraBenchmark[] = [...httpBenchmarks, ...ingestBenchmarks];
