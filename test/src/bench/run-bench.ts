import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { agentDojoWorkload } from './agentdojo-workload.js';
import { type BenchRow, renderTable } from './bench-table.js';
import {
  benchDetectorThroughput,
  benchDetectorThroughputCold,
  benchMemoryPerSession,
  benchTextAnalysis,
  benchVerdictInProcess,
  syntheticWorkload,
} from './engine-benchmarks.js';
import { extraBenchmarks } from './extra-benchmarks.js';

// The memory benchmark needs a full GC between measurements.
setFlagsFromString('--expose-gc');
(globalThis as { gc?: unknown }).gc = runInNewContext('gc');

/**
 * `npm run bench [-- --json] [-- --only name,name] [-- --out file.json]`: every figure beside a baseline
 * measured in the same run, a table on stdout; with `--json` the last stdout line is one JSON object.
 */
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  const onlyArg = argv[argv.indexOf('--only') + 1];
  const only = argv.includes('--only') && onlyArg ? new Set(onlyArg.split(',')) : undefined;
  const outArg = argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : undefined;
  const want = (name: string) => !only || only.has(name);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const rows: BenchRow[] = [];
  const started = Date.now();

  const dojo = agentDojoWorkload();
  if (!dojo)
    log('note: ../shared/agentdojo/runs-dev.jsonl.gz is absent; verdict latency runs on synthetic sessions');
  const workload = dojo ?? syntheticWorkload(3_000);
  if (want('verdict_inprocess_us')) {
    log('running verdict_inprocess_us …');
    rows.push(benchVerdictInProcess(workload));
  }
  if (want('detector_events_per_s')) {
    log('running detector_events_per_s …');
    rows.push(benchDetectorThroughput(workload));
  }
  if (want('detector_events_per_s_cold')) {
    log('running detector_events_per_s_cold …');
    rows.push(benchDetectorThroughputCold(workload));
  }
  if (want('text_analysis_us_per_kb')) {
    log('running text_analysis_us_per_kb …');
    rows.push(benchTextAnalysis(workload));
  }
  if (want('memory_per_session_kb')) {
    log('running memory_per_session_kb …');
    rows.push(benchMemoryPerSession());
  }
  for (const b of extraBenchmarks) {
    if (!want(b.name)) continue;
    log(`running ${b.name} …`);
    try {
      rows.push(...(await b.run(log)));
    } catch (err) {
      log(`${b.name} failed: ${(err as Error).message}`);
      rows.push({
        name: b.name,
        unit: 'error',
        value: Number.NaN,
        baseline: Number.NaN,
        baselineName: '-',
        note: (err as Error).message,
      });
    }
  }
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
  console.log(renderTable(rows));
  console.log(
    `\n${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  const result = { machine, durationSeconds: (Date.now() - started) / 1000, results: rows };
  if (outArg) writeFileSync(outArg, `${JSON.stringify(result, null, 2)}\n`);
  if (json) console.log(JSON.stringify(result));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`bench failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
