/**
 * docker-compose.yml: `docker-compose config` accepts it, and every variable the services read is set. The
 * BULWARK_* names come from the config schemas themselves (grepped from the sources), so a setting added to
 * the collector or the event store without a line in the compose file fails here; a misspelled one too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCollectorConfig } from '@bulwark/collector';
import { CLICKHOUSE_DATASOURCE } from '@bulwark/dashboards';
import { loadEventStoreConfig } from '@bulwark/stream';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../', import.meta.url));
const composeFile = path.join(root, 'docker-compose.yml');
const provisioningDir = path.join(root, 'dashboards/grafana/provisioning');

type Env = Record<string, string>;
interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string } | string;
  command?: string[] | string;
  environment?: Env | string[];
  healthcheck?: { test?: unknown };
  volumes?: (string | { source?: string; target?: string })[];
  depends_on?: Record<string, { condition?: string }> | string[];
}
interface Compose {
  services: Record<string, Service>;
}

/** `BULWARK_*` names a source file declares (its env table). */
function envNamesIn(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  return [...new Set([...text.matchAll(/['"`](BULWARK_[A-Z0-9_]+)['"`]/g)].map((m) => m[1]!))].sort();
}

// What `bulwark serve` reads: the collector's settings and the CLI's own (the policy, lock and alert files).
const COLLECTOR_NAMES = [
  ...new Set([...envNamesIn('collector/src/config.ts'), ...envNamesIn('cli/src/service-config.ts')]),
].sort();
const STORE_FILE = 'stream/src/store/open-event-store.ts';
const STORE_NAMES = existsSync(path.join(root, STORE_FILE)) ? envNamesIn(STORE_FILE) : [];

function envOf(s: Service): Env {
  if (Array.isArray(s.environment)) {
    return Object.fromEntries(
      s.environment.map((kv) => {
        const i = kv.indexOf('=');
        return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]),
  );
}

const commandOf = (s: Service) => (Array.isArray(s.command) ? s.command.join(' ') : String(s.command ?? ''));

/** What the collector's own flags turn into (serve.ts): `--kafka`, `--host`, `--port`. */
function flagsOf(s: Service): Record<string, unknown> {
  const argv = Array.isArray(s.command) ? s.command : commandOf(s).split(/\s+/);
  const out: Record<string, unknown> = {};
  const at = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const kafka = at('--kafka');
  if (kafka) Object.assign(out, { bus: 'kafka', kafkaBrokers: kafka.split(',') });
  if (at('--host')) out.host = at('--host');
  if (at('--port')) out.port = Number(at('--port'));
  return out;
}

/** `${VAR}` / `$VAR` references Grafana expands in its provisioning files. */
function provisioningVariables(): string[] {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(entry.name)) {
        const text = readFileSync(p, 'utf8').replace(/^\s*#.*$/gm, '');
        for (const m of text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)) names.add(m[1]!);
      }
    }
  };
  walk(provisioningDir);
  return [...names].sort();
}

/**
 * The compose file with `${VAR:-default}` resolved from defaults only (what `docker-compose config` does
 * with an empty environment), for the checks that need no binary.
 */
function resolveStatically(): Compose {
  const text = readFileSync(composeFile, 'utf8').replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g,
    (_m, _name, def) => def ?? '',
  );
  return parse(text, { merge: true }) as Compose;
}

function checkCompose(compose: Compose): void {
  const s = compose.services;
  expect(Object.keys(s).sort()).toEqual(['clickhouse', 'collector', 'grafana', 'kafka', 'worker']);

  // Every service says when it is healthy.
  for (const [name, svc] of Object.entries(s))
    expect(svc.healthcheck?.test, `${name} has no healthcheck`).toBeTruthy();

  // Kafka: the official image, KRaft single node.
  expect(s.kafka!.image).toMatch(/^apache\/kafka:3\.9\.\d+$/);
  const kafka = envOf(s.kafka!);
  expect(kafka.KAFKA_PROCESS_ROLES).toBe('broker,controller');
  expect(kafka.KAFKA_CONTROLLER_QUORUM_VOTERS).toMatch(/^1@kafka:\d+$/);
  expect(kafka.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
  expect(Object.keys(s)).not.toContain('zookeeper');

  expect(s.clickhouse!.image).toMatch(/^clickhouse\/clickhouse-server:/);
  const clickhouse = envOf(s.clickhouse!);

  // Collector and worker: built from the repo's Dockerfile, running the CLI.
  for (const name of ['collector', 'worker']) {
    const svc = s[name]!;
    const build = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
    expect(build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
    expect(existsSync(path.join(path.resolve(root, build?.context ?? '.'), 'Dockerfile'))).toBe(true);
    expect(commandOf(svc)).toMatch(/^node cli\/dist\/cli\.js serve --kafka kafka:9092\b/);
    expect(Object.keys(svc.depends_on ?? {})).toContain('kafka');
  }

  // Every setting the collector reads is set, in both services that run it.
  for (const name of ['collector', 'worker']) {
    const env = envOf(s[name]!);
    const missing = COLLECTOR_NAMES.filter((n) => !(n in env));
    expect(missing, `${name}: collector settings missing from docker-compose.yml`).toEqual([]);
  }
  // The worker also has every event store setting.
  const worker = envOf(s.worker!);
  expect(
    STORE_NAMES.filter((n) => !(n in worker)),
    'worker: event store settings missing from docker-compose.yml',
  ).toEqual([]);
  // ... and nothing the code does not read (a typo would be silently ignored).
  const known = new Set([...COLLECTOR_NAMES, ...STORE_NAMES]);
  for (const [name, svc] of Object.entries(s)) {
    const unknown = Object.keys(envOf(svc)).filter((k) => k.startsWith('BULWARK_') && !known.has(k));
    expect(unknown, `${name}: BULWARK_* variables no config schema reads`).toEqual([]);
  }

  // The values are valid for the code that reads them: the collector's and the store's own validation.
  for (const name of ['collector', 'worker']) {
    const res = loadCollectorConfig(flagsOf(s[name]!), envOf(s[name]!));
    expect(res.ok ? [] : res.issues, `${name}: the collector would refuse this configuration`).toEqual([]);
  }
  const store = loadEventStoreConfig({}, worker);
  expect(store.ok ? [] : store.issues, 'worker: the event store would refuse this configuration').toEqual([]);
  if (store.ok) {
    expect(store.config.store).toBe('server');
    expect(new URL(store.config.clickhouseUrl).hostname).toBe('clickhouse');
    // The worker writes where Grafana reads, with the user the ClickHouse image creates.
    expect(store.config.clickhouseUser).toBe(clickhouse.CLICKHOUSE_USER);
    expect(store.config.clickhousePassword).toBe(clickhouse.CLICKHOUSE_PASSWORD);
    expect(store.config.database).toBe(clickhouse.CLICKHOUSE_DB);
  }
  expect(envOf(s.collector!).BULWARK_KAFKA_BROKERS).toBe(
    kafka.KAFKA_ADVERTISED_LISTENERS?.replace(/^PLAINTEXT:\/\//, ''),
  );

  // Grafana: the plugin, the provisioning mounted, and every variable provisioning reads set.
  const grafana = envOf(s.grafana!);
  expect(grafana.GF_INSTALL_PLUGINS).toContain(CLICKHOUSE_DATASOURCE.type);
  const mounts = (s.grafana!.volumes ?? []).map((v) =>
    typeof v === 'string' ? v : `${v.source}:${v.target}`,
  );
  const hostDirs = mounts.map((m) => m.split(':')[0]!).filter((p) => p.startsWith('.') || p.startsWith('/'));
  expect(hostDirs.map((p) => path.relative(root, path.resolve(root, p)))).toEqual(
    expect.arrayContaining(['dashboards/grafana/provisioning', 'dashboards/grafana/dashboards']),
  );
  expect(mounts.some((m) => m.includes(':/etc/grafana/provisioning'))).toBe(true);
  const unset = provisioningVariables().filter((v) => !grafana[v]);
  expect(unset, 'grafana: variables the provisioning files read but the service does not set').toEqual([]);
  expect(grafana.CLICKHOUSE_HOST).toBe('clickhouse');
  expect(grafana.CLICKHOUSE_USER).toBe(clickhouse.CLICKHOUSE_USER);
  expect(grafana.CLICKHOUSE_PASSWORD).toBe(clickhouse.CLICKHOUSE_PASSWORD);
  expect(grafana.CLICKHOUSE_DATABASE).toBe(clickhouse.CLICKHOUSE_DB);
}

describe('docker-compose.yml (parsed here)', () => {
  it('finds the settings in the config schemas', () => {
    expect(COLLECTOR_NAMES).toEqual(
      expect.arrayContaining(['BULWARK_HOST', 'BULWARK_KAFKA_BROKERS', 'BULWARK_API_KEYS']),
    );
    expect(STORE_NAMES).toEqual(expect.arrayContaining(['BULWARK_STORE', 'BULWARK_CLICKHOUSE_URL']));
  });

  it('sets every variable the services read, to values they accept', () => {
    checkCompose(resolveStatically());
  });

  it('provisions the data source the dashboards query', () => {
    const ds = parse(readFileSync(path.join(provisioningDir, 'datasources/clickhouse.yaml'), 'utf8')) as {
      datasources: { uid: string; type: string; jsonData: Record<string, unknown> }[];
    };
    expect(ds.datasources[0]).toMatchObject({
      uid: CLICKHOUSE_DATASOURCE.uid,
      type: CLICKHOUSE_DATASOURCE.type,
    });
    expect(Object.keys(ds.datasources[0]!.jsonData)).toEqual(
      expect.arrayContaining(['host', 'port', 'protocol']),
    );
    const dash = parse(readFileSync(path.join(provisioningDir, 'dashboards/bulwark.yaml'), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(dash.providers[0]?.options.path).toBe('/var/lib/grafana/dashboards/bulwark');
  });
});

// `docker-compose config` (Debian's docker-compose package; the Compose v2 plugin as a fallback).
function findCompose(): { cmd: string; args: string[] } | undefined {
  for (const c of [
    { cmd: 'docker-compose', args: [] },
    { cmd: 'docker', args: ['compose'] },
  ]) {
    const r = spawnSync(c.cmd, [...c.args, 'version'], { encoding: 'utf8' });
    if (r.status === 0) return c;
  }
  return undefined;
}
const compose = findCompose();
const noCompose = 'docker-compose is not installed (apt-get install -y docker-compose)';
const composeSuite = compose || process.env.CI ? describe : describe.skip;

composeSuite(`docker-compose config${compose || process.env.CI ? '' : ` (skipped: ${noCompose})`}`, () => {
  it('accepts the file and resolves every variable from its defaults', () => {
    if (!compose) throw new Error(`${noCompose}; CI must install it`);
    // An empty environment: the defaults in the file must be enough.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
    const r = spawnSync(compose.cmd, [...compose.args, '-f', composeFile, 'config'], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    expect(r.stderr, 'docker-compose config complained').not.toMatch(/WARN|ERROR|invalid|not set/i);
    expect(r.status, r.stderr).toBe(0);
    checkCompose(parse(r.stdout) as Compose);
  });
});
