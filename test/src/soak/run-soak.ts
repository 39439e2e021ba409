import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../services.js';
import { authRows, injectionRow } from './auth-rows.js';
import { embeddedServeKill, kafkaFaultRows, type SoakServices } from './fault-rows.js';
import { fuzzRow } from './fuzz-row.js';
import { overloadRows } from './overload-rows.js';
import { serviceScript } from './soak-processes.js';
import { renderSoakTable, type SoakRow } from './soak-row.js';

/**
 * `npm run soak [-- --json] [-- --seed N] [-- --no-kafka]`: faults, overload, bad input, auth, tenant
 * isolation and store injection against real `bulwark serve` processes on loopback. Bounded: every row has
 * a deadline and the whole run stops by itself. A table on stdout; with `--json` the last stdout line is one
 * JSON object. Kafka mode runs on the soak's own broker and ClickHouse server (ports 19092/18123, data under
 * .cache/soak/), started and stopped with scripts/kafka.mjs and scripts/clickhouse.mjs, so the servers
 * other tests use are never stopped.
 */
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  const seed = argv.includes('--seed') ? Number(argv[argv.indexOf('--seed') + 1]) : 1616;
  const noKafka = argv.includes('--no-kafka');
  const only = argv.includes('--only')
    ? new Set((argv[argv.indexOf('--only') + 1] ?? '').split(','))
    : undefined;
  const want = (s: string) => !only || only.has(s);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const started = Date.now();
  const rows: SoakRow[] = [];
  const cache = path.join(REPO_ROOT, '.cache', 'soak');
  const kafkaPort = Number(process.env.BULWARK_SOAK_KAFKA_PORT ?? 19092);
  const chPort = Number(process.env.BULWARK_SOAK_CLICKHOUSE_HTTP_PORT ?? 18123);
  const services: SoakServices = {
    kafkaEnv: {
      BULWARK_KAFKA_PORT: String(kafkaPort),
      BULWARK_KAFKA_CONTROLLER_PORT: String(kafkaPort + 1),
      BULWARK_KAFKA_DATA_DIR: path.join(cache, 'kafka'),
    },
    clickhouseEnv: {
      BULWARK_CLICKHOUSE_HTTP_PORT: String(chPort),
      BULWARK_CLICKHOUSE_TCP_PORT: String(chPort + 878),
      BULWARK_CLICKHOUSE_DATA_DIR: path.join(cache, 'clickhouse'),
    },
    broker: `127.0.0.1:${kafkaPort}`,
    clickhouseUrl: `http://127.0.0.1:${chPort}`,
  };

  if (want('faults')) {
    log('faults: bulwark serve (embedded) SIGKILL …');
    rows.push(await embeddedServeKill(log, 3_000));
    if (!noKafka) {
      log(
        `faults: Kafka mode on the soak's own broker ${services.broker} and ClickHouse ${services.clickhouseUrl} …`,
      );
      const [k, c] = await Promise.all([
        serviceScript('kafka', 'start', services.kafkaEnv),
        serviceScript('clickhouse', 'start', services.clickhouseEnv),
      ]);
      if (k.code !== 0 || c.code !== 0) {
        rows.push({
          section: 'faults',
          name: 'kafka mode',
          held: undefined,
          figures: {},
          goal: '0 acknowledged missing',
          error: `could not start the soak's services: ${k.code ? k.out.slice(-200) : ''} ${c.code ? c.out.slice(-200) : ''}`,
          seconds: 0,
        });
      } else {
        try {
          rows.push(...(await kafkaFaultRows(services, log, 4_000)));
        } catch (err) {
          rows.push({
            section: 'faults',
            name: 'kafka mode',
            held: undefined,
            figures: {},
            goal: '0 acknowledged missing',
            error: (err as Error).message.slice(0, 300),
            seconds: 0,
          });
        } finally {
          await serviceScript('kafka', 'stop', services.kafkaEnv);
          await serviceScript('clickhouse', 'stop', services.clickhouseEnv);
        }
      }
    }
  }
  if (want('overload')) {
    log('overload …');
    rows.push(
      ...(await overloadRows(log, { burst: 5_000, keepAlive: 2_000, slowLoris: 1_000, seconds: 15 })),
    );
  }
  if (want('bad_input')) {
    log(`bad input: seeded fuzzer (seed ${seed}) …`);
    rows.push(await fuzzRow(log, seed, 3_000));
  }
  if (want('auth')) {
    log('auth and tenant isolation …');
    rows.push(...(await authRows(log)));
  }
  if (want('injection')) {
    log('store injection …');
    rows.push(await injectionRow(log));
  }

  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(1))),
    node: process.version,
  };
  const durationSeconds = (Date.now() - started) / 1000;
  console.log(renderSoakTable(rows));
  const held = rows.filter((r) => r.held === true).length;
  console.log(
    `\n${held}/${rows.length} rows held; ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, load ${machine.loadAverage.join(' ')}, Node ${machine.node}; ${durationSeconds.toFixed(0)} s`,
  );
  if (json) console.log(JSON.stringify({ machine, seed, durationSeconds, rows }));
  return rows.every((r) => r.held === true) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`soak failed: ${(err as Error).stack ?? err}`);
    process.exit(2);
  },
);
