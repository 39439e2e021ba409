import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  CollectorConfigError,
  CollectorListenError,
  createCollectorBus,
  createServiceLogger,
  guardrailExporterConfigFromEnv,
  StorageWorker,
  startCollector,
} from '@bulwark/collector';
import type { EventBus } from '@bulwark/contracts';
import { DetectionEngine } from '@bulwark/detectors';
import { EventBusError, PolicyFileWatcher, StoreError, StreamConfigError } from '@bulwark/stream';
import { writeServeLock } from '../serve-lock-file.js';
import { loadServiceConfig } from '../service-config.js';

const HELP = `usage: bulwark serve [options]

Runs the Bulwark collector: OTLP/HTTP receiver (POST /v1/traces), verdict API (POST /v1/verdicts),
/healthz, /readyz and /metrics. Default: in-process event bus on http://127.0.0.1:4318.

options:
  --host <addr>          bind address (BULWARK_HOST, default 127.0.0.1)
  --port <n>             port, 0 for any free one (BULWARK_PORT, default 4318)
  --kafka <brokers>      use Kafka, comma-separated host:port list (BULWARK_BUS=kafka + BULWARK_KAFKA_BROKERS)
  --log-level <level>    fatal|error|warn|info|debug|trace|silent (BULWARK_LOG_LEVEL, default info)
  -h, --help             this text

Every other setting comes from BULWARK_* environment variables (see collector/README.md).
Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM), 1 when the server cannot start, 2 for bad configuration.`;

const numeric = (v: string) => (/^\d+$/.test(v) ? Number(v) : v);

/**
 * `bulwark serve`: starts the collector and runs until SIGINT/SIGTERM, then shuts down gracefully (stops
 * accepting, finishes requests, flushes the bus). Resolves to the exit code.
 *
 * @example
 * const code = await run(['--port', '4318', '--kafka', '127.0.0.1:9092']);
 */
export async function run(argv: string[]): Promise<number> {
  let values: { host?: string; port?: string; kafka?: string; 'log-level'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        kafka: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    console.error(`bulwark serve: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const options: Record<string, unknown> = {};
  if (values.host !== undefined) options.host = values.host;
  if (values.port !== undefined) options.port = numeric(values.port);
  if (values['log-level'] !== undefined) options.logLevel = values['log-level'];
  if (values.kafka !== undefined) {
    options.bus = 'kafka';
    options.kafkaBrokers = values.kafka
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  // Validate everything once, up front, and list every bad key.
  const checked = loadServiceConfig(options, process.env);
  if (!checked.ok) {
    console.error(
      `bulwark serve: invalid configuration:\n${checked.issues.map((i) => `  - ${i}`).join('\n')}`,
    );
    return 2;
  }
  const service = checked.config;
  const { collector: config } = service;
  // Embedded setup: the bus's write-ahead log sits beside the store, so a 200 survives a crash (kill -9).
  if (config.bus === 'memory' && service.store?.store === 'chdb' && config.busWalDir === undefined)
    config.busWalDir = path.join(service.store.dataDir, 'wal');

  // One policy for the collector's engine and the worker's, swapped together on reload.
  let policy = service.policy;
  const engineOptions = () => ({
    monotonicMicros: () => performance.now() * 1000,
    ...(policy ? { policy } : {}),
    ...(service.toolLock ? { toolLock: service.toolLock } : {}),
  });
  const engine = new DetectionEngine(engineOptions());
  let workerEngine: DetectionEngine | undefined;
  const logger = createServiceLogger(config.logLevel);

  let watcher: PolicyFileWatcher | undefined;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  try {
    if (service.files.policyFile) {
      const log = logger.child({ component: 'policy' });
      watcher = await PolicyFileWatcher.start(service.files.policyFile, {
        onPolicy: (p) => {
          if (policy !== undefined && p !== policy)
            log.info({ file: service.files.policyFile }, 'policy reloaded');
          policy = p;
          engine.setPolicy(p);
          workerEngine?.setPolicy(p);
        },
        onError: (err) =>
          log.error(
            { err, file: service.files.policyFile },
            'policy file is invalid; the previous policy stays in force',
          ),
      });
    }
    collector = await startCollector({
      // Validated and built here: the collector and the worker read no environment themselves.
      config,
      guardrail: guardrailExporterConfigFromEnv(process.env),
      eventBus: await createCollectorBus(config, logger),
      closeEventBus: true,
      engine,
      logger,
      ...(service.store
        ? {
            startWorker: (bus: EventBus) =>
              StorageWorker.start({
                bus,
                busKind: config.bus,
                // serve's own bus: its collector is the only publisher (validated at the edge).
                trustBusEvents: true,
                store: service.store,
                env: {},
                createEngine: () => {
                  workerEngine = new DetectionEngine(engineOptions());
                  return workerEngine;
                },
                logger,
                ...(service.alerts ? { alerts: service.alerts } : {}),
              }),
          }
        : {}),
    });
  } catch (err) {
    await watcher?.shutdown();
    if (err instanceof CollectorConfigError || err instanceof StreamConfigError) {
      console.error(`bulwark serve: invalid configuration:\n${err.issues.map((i) => `  - ${i}`).join('\n')}`);
      return 2;
    }
    if (err instanceof CollectorListenError || err instanceof StoreError || err instanceof EventBusError) {
      console.error(`bulwark serve: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const store = service.store
    ? service.store.store === 'chdb'
      ? `, events stored in ${path.resolve(service.store.dataDir)} (chdb)`
      : `, events stored in ${service.store.clickhouseUrl}`
    : '';
  console.log(`bulwark collector listening on ${collector.url} (health: ${collector.url}/healthz)${store}`);
  if (service.store) console.log(`bulwark serve: live analyst page at ${collector.url}/`);
  // chdb binds its directory to this process: `bulwark report`/`hunt` read this file and use the API instead.
  const releaseLock =
    service.store?.store === 'chdb' ? writeServeLock(service.store.dataDir, collector.url) : () => {};

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        console.error(`bulwark serve: ${signal} again, exiting without finishing the shutdown`);
        process.exit(130);
      }
      stopping = true;
      console.log(`bulwark serve: ${signal} received, shutting down (flushing the event bus)`);
      collector
        .close()
        .then(() => watcher?.shutdown())
        .finally(releaseLock)
        .then(
          () => resolve(0),
          (err: unknown) => {
            console.error(`bulwark serve: shutdown failed: ${(err as Error).message}`);
            resolve(1);
          },
        );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
