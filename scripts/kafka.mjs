#!/usr/bin/env node
// Local single-node Apache Kafka (KRaft, broker+controller in one JVM) for Bulwark's tests.
//
//   node scripts/kafka.mjs install   fetch the broker jars from Maven Central (idempotent)
//   node scripts/kafka.mjs start     format storage if needed, start in background, wait until ready
//   node scripts/kafka.mjs stop      SIGTERM, wait, SIGKILL
//   node scripts/kafka.mjs status    exit 0 when running, 1 when not
//
// Also importable: `import { start, stop, status, install, kafkaConfig } from './scripts/kafka.mjs'`.
// See scripts/README.md for env vars, ports and quirks.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  cli,
  envInt,
  envPath,
  fileSize,
  isAlive,
  lastStartOffset,
  REPO_ROOT,
  readFrom,
  rotateIfBig,
  run,
  runningPid,
  runQuiet,
  spawnDetached,
  stopPid,
  tail,
  tcpProbe,
  waitUntil,
  which,
} from './lib/daemon.mjs';

const POM = path.join(REPO_ROOT, 'scripts', 'kafka', 'pom.xml');
const HOST = '127.0.0.1';
const MAIN_CLASS = 'kafka.Kafka';
const READY_LINE = 'Kafka Server started';

function pinnedVersion() {
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(fs.readFileSync(POM, 'utf8'));
  if (!m) throw new Error(`no <kafka.version> in ${POM}`);
  return m[1].trim();
}

/** Everything the scripts use, resolved from env vars and defaults. */
export function kafkaConfig() {
  const version = process.env.BULWARK_KAFKA_VERSION || pinnedVersion();
  const cacheDir = path.join(REPO_ROOT, '.cache', 'kafka');
  const dataDir = envPath('BULWARK_KAFKA_DATA_DIR', path.join(cacheDir, 'data'));
  const port = envInt('BULWARK_KAFKA_PORT', 9092);
  const controllerPort = envInt('BULWARK_KAFKA_CONTROLLER_PORT', port + 1);
  return {
    version,
    major: Number.parseInt(version, 10),
    libsDir: envPath('BULWARK_KAFKA_LIBS_DIR', path.join(cacheDir, version, 'libs')),
    dataDir,
    host: HOST,
    port,
    controllerPort,
    brokers: `${HOST}:${port}`,
    heap: process.env.BULWARK_KAFKA_HEAP || '512m',
    startTimeoutMs: envInt('BULWARK_KAFKA_START_TIMEOUT_MS', 90000),
    stopTimeoutMs: envInt('BULWARK_KAFKA_STOP_TIMEOUT_MS', 30000),
    logDirs: path.join(dataDir, 'kraft-logs'),
    pidFile: path.join(dataDir, 'kafka.pid'),
    logFile: path.join(dataDir, 'kafka.log'),
    propsFile: path.join(dataDir, 'server.properties'),
    clusterIdFile: path.join(dataDir, 'cluster.id'),
  };
}

const say = (...a) => console.log('[kafka]', ...a);

function javaBin() {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

// ---------------------------------------------------------------- install

function installed(c) {
  return fs.existsSync(path.join(c.libsDir, '.complete'));
}

export async function install() {
  const c = kafkaConfig();
  if (installed(c)) {
    say(`Kafka ${c.version} jars already in ${c.libsDir}`);
    return 0;
  }
  if (!which('mvn'))
    throw new Error('mvn not found on PATH (needed to fetch the Kafka jars from Maven Central)');
  const tmp = `${c.libsDir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(c.libsDir), { recursive: true });
  say(`fetching Kafka ${c.version} jars into ${c.libsDir} ...`);
  const t0 = Date.now();
  const args = [
    '-B',
    '-q',
    '-Dstyle.color=never',
    '-f',
    POM,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${tmp}`,
    `-Dkafka.version=${c.version}`,
  ];
  if (c.major >= 4) args.push('-Pkafka4');
  try {
    runQuiet('mvn', args);
    if (!fs.readdirSync(tmp).some((f) => f.startsWith('kafka_2.13-')))
      throw new Error(`mvn did not produce kafka_2.13 jar in ${tmp}`);
    fs.writeFileSync(path.join(tmp, '.complete'), `${c.version}\n`);
    fs.rmSync(c.libsDir, { recursive: true, force: true });
    fs.renameSync(tmp, c.libsDir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  say(`installed ${fs.readdirSync(c.libsDir).length - 1} jars in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

// ---------------------------------------------------------------- config files

function serverProperties(c) {
  return `# Written by scripts/kafka.mjs on every start - edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${c.controllerPort}
listeners=PLAINTEXT://${HOST}:${c.port},CONTROLLER://${HOST}:${c.controllerPort}
advertised.listeners=PLAINTEXT://${HOST}:${c.port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${c.logDirs}

auto.create.topics.enable=true
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
delete.topic.enable=true

num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
log.retention.check.interval.ms=300000
`;
}

// Loggers that are chatty at INFO for every partition/segment; kept at WARN.
const QUIET = [
  'kafka.log',
  'org.apache.kafka.storage.internals.log',
  'state.change.logger',
  'kafka.request.logger',
  'kafka.log.LogCleaner',
  'org.apache.kafka.clients',
];

function log4jConfig(c, rootLevel = 'info') {
  if (c.major >= 4) {
    return [
      'status = warn',
      'appender.console.type = Console',
      'appender.console.name = STDOUT',
      'appender.console.layout.type = PatternLayout',
      'appender.console.layout.pattern = [%d] %p %m (%c)%n',
      `rootLogger.level = ${rootLevel}`,
      'rootLogger.appenderRef.stdout.ref = STDOUT',
      ...QUIET.flatMap((l, i) => [`logger.q${i}.name = ${l}`, `logger.q${i}.level = warn`]),
      '',
    ].join('\n');
  }
  return [
    `log4j.rootLogger=${rootLevel.toUpperCase()}, stdout`,
    'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
    ...QUIET.map((l) => `log4j.logger.${l}=WARN`),
    '',
  ].join('\n');
}

function logConfigFile(c, tool = false) {
  return path.join(c.dataDir, `${c.major >= 4 ? 'log4j2' : 'log4j'}${tool ? '-tools' : ''}.properties`);
}

function jvmArgs(c, { heap, tool = false }) {
  const logCfg = logConfigFile(c, tool);
  return [
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    c.major >= 4 ? `-Dlog4j2.configurationFile=${logCfg}` : `-Dlog4j.configuration=file:${logCfg}`,
    '-cp',
    path.join(c.libsDir, '*'),
  ];
}

/** Kafka's Uuid.randomUuid().toString(): 16 random bytes, base64url without padding, not starting with '-'. */
function newClusterId() {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function writeConfigs(c) {
  fs.mkdirSync(c.logDirs, { recursive: true });
  fs.writeFileSync(c.propsFile, serverProperties(c));
  fs.writeFileSync(logConfigFile(c), log4jConfig(c));
  fs.writeFileSync(logConfigFile(c, true), log4jConfig(c, 'warn'));
}

function formatIfNeeded(c) {
  if (fs.existsSync(path.join(c.logDirs, 'meta.properties'))) return;
  let clusterId = fs.existsSync(c.clusterIdFile) ? fs.readFileSync(c.clusterIdFile, 'utf8').trim() : '';
  if (!clusterId) {
    clusterId = newClusterId();
    fs.writeFileSync(c.clusterIdFile, `${clusterId}\n`);
  }
  say(`formatting KRaft storage in ${c.logDirs} (cluster id ${clusterId})`);
  const args = [
    ...jvmArgs(c, { heap: '256m', tool: true }),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    c.propsFile,
    '--ignore-formatted',
  ];
  run(javaBin(), args, { cwd: c.dataDir, stdio: ['ignore', 'inherit', 'inherit'] });
}

// ---------------------------------------------------------------- start / stop / status

export async function start() {
  const c = kafkaConfig();
  fs.mkdirSync(c.dataDir, { recursive: true });
  const existing = runningPid(c.pidFile, MAIN_CLASS);
  if (existing) {
    if (await tcpProbe(HOST, c.port)) {
      say(`already running (pid ${existing}) on ${c.brokers}`);
      return 0;
    }
    say(`pid ${existing} is running but ${c.brokers} is not accepting connections yet; waiting`);
    await waitReady(c, existing, lastStartOffset(c.logFile));
    say(`ready on ${c.brokers}`);
    return 0;
  }
  for (const p of [c.port, c.controllerPort]) {
    if (await tcpProbe(HOST, p, 500))
      throw new Error(
        `${HOST}:${p} is already in use by a process that is not ours (no live pid in ${c.pidFile})`,
      );
  }
  if (!installed(c)) await install();

  writeConfigs(c);
  formatIfNeeded(c);

  rotateIfBig(c.logFile);
  const offset = fileSize(c.logFile);
  const t0 = Date.now();
  const { pid } = spawnDetached(javaBin(), [...jvmArgs(c, { heap: c.heap }), MAIN_CLASS, c.propsFile], {
    cwd: c.dataDir,
    logFile: c.logFile,
    pidFile: c.pidFile,
  });
  say(`started pid ${pid}, log ${c.logFile}; waiting for ${c.brokers} ...`);
  await waitReady(c, pid, offset);
  say(`ready on ${c.brokers} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

async function waitReady(c, pid, offset) {
  try {
    await waitUntil(
      async () => readFrom(c.logFile, offset).includes(READY_LINE) && (await tcpProbe(HOST, c.port)),
      {
        timeoutMs: c.startTimeoutMs,
        alive: () => isAlive(pid),
        what: `"${READY_LINE}" in the log and a TCP connect to ${c.brokers}`,
      },
    );
  } catch (e) {
    const logTail = tail(c.logFile, 60, offset); // captured before we kill it, so it shows why it hung
    const alive = isAlive(pid);
    if (alive) await stopPid(pid, { graceMs: 5000 }).catch(() => {});
    try {
      fs.unlinkSync(c.pidFile);
    } catch {}
    throw new Error(
      `[kafka] failed to start: ${e.message}${alive ? ' (process killed)' : ''}\n--- last lines of ${c.logFile} ---\n${logTail}`,
    );
  }
}

export async function stop() {
  const c = kafkaConfig();
  const pid = runningPid(c.pidFile, MAIN_CLASS);
  if (!pid) {
    say('not running');
    return 0;
  }
  const t0 = Date.now();
  const how = await stopPid(pid, { graceMs: c.stopTimeoutMs, log: (m) => say(m) });
  try {
    fs.unlinkSync(c.pidFile);
  } catch {}
  say(
    `stopped pid ${pid} (${how === 'kill' ? 'SIGKILL' : 'SIGTERM'}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return 0;
}

export async function status() {
  const c = kafkaConfig();
  const pid = runningPid(c.pidFile, MAIN_CLASS);
  if (!pid) {
    console.log(`kafka: not running (data dir ${c.dataDir})`);
    return 1;
  }
  const open = await tcpProbe(HOST, c.port);
  console.log(
    `kafka: running, pid ${pid}, ${c.brokers} ${open ? 'accepting connections' : 'NOT accepting connections yet'} (Kafka ${c.version}, data dir ${c.dataDir})`,
  );
  return 0;
}

cli(
  import.meta.url,
  { install, start, stop, status },
  'usage: node scripts/kafka.mjs install|start|stop|status',
);
