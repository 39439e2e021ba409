#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
// Local ClickHouse (Debian's clickhouse-server package) for Bulwark's tests, run as a plain
// background process with its own config in a data dir - no systemd, no /etc or /var/lib paths.
//
//   node scripts/clickhouse.mjs install   apt-get install clickhouse-server clickhouse-client (if missing)
//   node scripts/clickhouse.mjs start     write config, start in background, wait for /ping
//   node scripts/clickhouse.mjs stop      SIGTERM, wait, SIGKILL
//   node scripts/clickhouse.mjs status    exit 0 when running, 1 when not
//
// Also importable: `import { start, stop, status, install, clickhouseConfig } from './scripts/clickhouse.mjs'`.
// See scripts/README.md for env vars, ports and quirks.
import fs from 'node:fs';
import path from 'node:path';
import {
  cli,
  envInt,
  envPath,
  fileSize,
  httpGet,
  isAlive,
  REPO_ROOT,
  rotateIfBig,
  runningPid,
  spawnDetached,
  stopPid,
  tail,
  tcpProbe,
  waitUntil,
  which,
} from './lib/daemon.mjs';

const HOST = '127.0.0.1';
const PACKAGES = ['clickhouse-server', 'clickhouse-client'];

export function clickhouseConfig() {
  const dataDir = envPath('BULWARK_CLICKHOUSE_DATA_DIR', path.join(REPO_ROOT, '.cache', 'clickhouse'));
  const httpPort = envInt('BULWARK_CLICKHOUSE_HTTP_PORT', 8123);
  return {
    dataDir,
    host: HOST,
    httpPort,
    tcpPort: envInt('BULWARK_CLICKHOUSE_TCP_PORT', 9001),
    url: `http://${HOST}:${httpPort}`,
    bin:
      process.env.BULWARK_CLICKHOUSE_BIN ||
      (fs.existsSync('/usr/sbin/clickhouse-server')
        ? '/usr/sbin/clickhouse-server'
        : which('clickhouse-server') || 'clickhouse-server'),
    startTimeoutMs: envInt('BULWARK_CLICKHOUSE_START_TIMEOUT_MS', 60000),
    stopTimeoutMs: envInt('BULWARK_CLICKHOUSE_STOP_TIMEOUT_MS', 30000),
    configFile: path.join(dataDir, 'config.xml'),
    usersFile: path.join(dataDir, 'users.xml'),
    pidFile: path.join(dataDir, 'clickhouse.pid'),
    logsDir: path.join(dataDir, 'logs'),
    serverLog: path.join(dataDir, 'logs', 'clickhouse-server.log'),
    errLog: path.join(dataDir, 'logs', 'clickhouse-server.err.log'),
    stdoutLog: path.join(dataDir, 'logs', 'stdout.log'),
  };
}

const say = (...a) => console.log('[clickhouse]', ...a);

// ---------------------------------------------------------------- install

function missingPackages() {
  return PACKAGES.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=$' + '{Status}', p], { encoding: 'utf8' });
    return !(r.status === 0 && r.stdout.includes('install ok installed'));
  });
}

function apt(args) {
  const r = spawnSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.error) throw new Error(`apt-get: ${r.error.message}`);
  return r.status === 0;
}

export async function install() {
  const missing = missingPackages();
  if (missing.length === 0) {
    say(`already installed: ${PACKAGES.join(', ')} (${packageVersion()})`);
    return 0;
  }
  if (!which('apt-get')) throw new Error(`apt-get not found; install ${missing.join(' ')} by hand`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(
      `not root: run \`sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing.join(' ')}\` (or this script as root)`,
    );
  }
  const t0 = Date.now();
  const args = ['install', '-y', '-q', '--no-install-recommends', ...missing];
  say(`apt-get ${args.join(' ')}`);
  if (!apt(args)) {
    say('install failed; running apt-get update and retrying');
    if (!apt(['update', '-q'])) throw new Error('apt-get update failed');
    if (!apt(args)) throw new Error(`apt-get install ${missing.join(' ')} failed`);
  }
  say(`installed ${packageVersion()} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

function packageVersion() {
  const r = spawnSync('dpkg-query', ['-W', '-f=$' + '{Version}', 'clickhouse-server'], { encoding: 'utf8' });
  return r.status === 0 ? `clickhouse-server ${r.stdout.trim()}` : 'clickhouse-server (version unknown)';
}

// ---------------------------------------------------------------- config files

const xmlEscape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function serverConfig(c) {
  const d = (sub) => xmlEscape(path.join(c.dataDir, sub) + '/');
  return `<?xml version="1.0"?>
<!-- Written by scripts/clickhouse.mjs on every start - edit the script, not this file. -->
<yandex>
    <logger>
        <level>information</level>
        <log>${xmlEscape(c.serverLog)}</log>
        <errorlog>${xmlEscape(c.errLog)}</errorlog>
        <size>50M</size>
        <count>3</count>
    </logger>

    <listen_host>${HOST}</listen_host>
    <http_port>${c.httpPort}</http_port>
    <tcp_port>${c.tcpPort}</tcp_port>
    <!-- no interserver_http_port: no replication, and one less port to clash -->

    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>

    <path>${d('data')}</path>
    <tmp_path>${d('tmp')}</tmp_path>
    <user_files_path>${d('user_files')}</user_files_path>
    <format_schema_path>${d('format_schemas')}</format_schema_path>
    <users_config>${xmlEscape(c.usersFile)}</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>

    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
    <!-- allow DROP TABLE of any size (tests drop and recreate tables) -->
    <max_table_size_to_drop>0</max_table_size_to_drop>
    <max_partition_size_to_drop>0</max_partition_size_to_drop>
</yandex>
`;
}

function usersConfig() {
  return `<?xml version="1.0"?>
<!-- Written by scripts/clickhouse.mjs on every start - edit the script, not this file. -->
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
        </default>
        <readonly>
            <readonly>1</readonly>
        </readonly>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
`;
}

function writeConfigs(c) {
  for (const sub of ['data', 'tmp', 'user_files', 'format_schemas', 'logs'])
    fs.mkdirSync(path.join(c.dataDir, sub), { recursive: true });
  fs.writeFileSync(c.configFile, serverConfig(c));
  fs.writeFileSync(c.usersFile, usersConfig());
}

// ---------------------------------------------------------------- start / stop / status

const marker = (c) => `--config-file=${c.configFile}`;

async function pingOk(c) {
  const r = await httpGet(`${c.url}/ping`, 1000);
  return r !== null && r.status === 200 && r.body.trim() === 'Ok.';
}

export async function start() {
  const c = clickhouseConfig();
  const existing = runningPid(c.pidFile, marker(c));
  if (existing) {
    if (await pingOk(c)) {
      say(`already running (pid ${existing}) on ${c.url}`);
      return 0;
    }
    say(`pid ${existing} is running but ${c.url}/ping does not answer yet; waiting`);
    await waitReady(c, existing, { stdout: 0, err: 0, server: 0 });
    say(`ready on ${c.url}`);
    return 0;
  }
  for (const p of [c.httpPort, c.tcpPort]) {
    if (await tcpProbe(HOST, p, 500))
      throw new Error(
        `${HOST}:${p} is already in use by a process that is not ours (no live pid in ${c.pidFile})`,
      );
  }
  if (!fs.existsSync(c.bin)) {
    if (missingPackages().length) await install();
    if (!fs.existsSync(c.bin) && !which(c.bin)) throw new Error(`${c.bin} not found`);
  }

  writeConfigs(c);
  rotateIfBig(c.stdoutLog); // clickhouse-server rotates its own logs (<size>/<count>)
  const off = offsets(c);
  const t0 = Date.now();
  const { pid } = spawnDetached(c.bin, [marker(c)], {
    cwd: c.dataDir,
    logFile: c.stdoutLog,
    pidFile: c.pidFile,
  });
  say(`started pid ${pid}, logs in ${c.logsDir}; waiting for ${c.url}/ping ...`);
  await waitReady(c, pid, off);
  say(
    `ready on ${c.url} (native protocol on ${HOST}:${c.tcpPort}) after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return 0;
}

function offsets(c) {
  return { stdout: fileSize(c.stdoutLog), err: fileSize(c.errLog), server: fileSize(c.serverLog) };
}

async function waitReady(c, pid, off) {
  try {
    await waitUntil(() => pingOk(c), {
      timeoutMs: c.startTimeoutMs,
      intervalMs: 200,
      alive: () => isAlive(pid),
      what: `${c.url}/ping to answer "Ok."`,
    });
  } catch (e) {
    // Logs captured before we kill it, so they show why it hung.
    const logs =
      `--- ${c.stdoutLog} ---\n${tail(c.stdoutLog, 30, off.stdout)}\n` +
      `--- ${c.errLog} ---\n${tail(c.errLog, 30, off.err)}\n` +
      `--- ${c.serverLog} ---\n${tail(c.serverLog, 30, off.server)}`;
    const alive = isAlive(pid);
    if (alive) await stopPid(pid, { graceMs: 5000 }).catch(() => {});
    try {
      fs.unlinkSync(c.pidFile);
    } catch {}
    throw new Error(`[clickhouse] failed to start: ${e.message}${alive ? ' (process killed)' : ''}\n${logs}`);
  }
}

export async function stop() {
  const c = clickhouseConfig();
  const pid = runningPid(c.pidFile, marker(c));
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
  const c = clickhouseConfig();
  const pid = runningPid(c.pidFile, marker(c));
  if (!pid) {
    console.log(`clickhouse: not running (data dir ${c.dataDir})`);
    return 1;
  }
  const ok = await pingOk(c);
  console.log(
    `clickhouse: running, pid ${pid}, ${c.url} ${ok ? 'answers /ping' : 'does NOT answer /ping yet'} (native ${HOST}:${c.tcpPort}, data dir ${c.dataDir})`,
  );
  return 0;
}

cli(
  import.meta.url,
  { install, start, stop, status },
  'usage: node scripts/clickhouse.mjs install|start|stop|status',
);
