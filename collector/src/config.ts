import fs from 'node:fs';
import net from 'node:net';
import { formatZodIssue } from '@bulwark/contracts';
import { z } from 'zod';
import { CollectorConfigError } from './errors.js';

const MiB = 1024 * 1024;

const list = z.array(z.string().min(1));
const port = z.number().int().min(0).max(65_535);
const millis = z.number().int().min(1).max(3_600_000);

/** A JSON Web Key Set as RFC 7517 shapes it (keys are checked by `jose` when loaded). */
const JwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) });

/**
 * Every collector setting. Precedence: code options > `BULWARK_*` env > these defaults.
 * The env name of each key is in {@link COLLECTOR_ENV}.
 *
 * @example
 * CollectorConfigSchema.parse({}).port; // 4318
 */
export const CollectorConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(4318),
    /** Largest request body on the wire. */
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * MiB)
      .default(8 * MiB),
    /** Largest body after gzip decompression (gzip bombs stop here with 413). */
    maxDecompressedBytes: z
      .number()
      .int()
      .min(1024)
      .max(4096 * MiB)
      .default(32 * MiB),
    /** What happens to spans that are not GenAI/MCP spans: counted and dropped, or forwarded with the request. */
    nonAgentSpans: z.enum(['drop', 'passthrough']).default('drop'),
    /** OTLP/HTTP traces URL that receives each request as it came when `nonAgentSpans` is `passthrough`. */
    passthroughUrl: z.url({ protocol: /^https?$/ }).optional(),
    bus: z.enum(['memory', 'kafka']).default('memory'),
    busMaxBufferedRecords: z.number().int().min(1).max(10_000_000).default(10_000),
    /**
     * Write-ahead log of the in-process bus: a span is acknowledged only once it is on disk there, and what the
     * worker had not stored yet is replayed after a crash. `bulwark serve` with the embedded store defaults it
     * to `<dataDir>/wal`; `off` turns it off (a crash then loses what the bus held). Unused on Kafka.
     */
    busWalDir: z.string().min(1).optional(),
    kafkaBrokers: list.default([]),
    kafkaClientId: z.string().min(1).default('bulwark-collector'),
    kafkaTopicEvents: z.string().min(1).default('bulwark.events'),
    kafkaTopicVerdicts: z.string().min(1).default('bulwark.verdicts'),
    kafkaTopicFindings: z.string().min(1).default('bulwark.findings'),
    kafkaTopicAlerts: z.string().min(1).default('bulwark.alerts'),
    kafkaPartitions: z.number().int().min(1).max(10_000).default(6),
    kafkaReplicationFactor: z.number().int().min(-1).max(100).default(-1),
    /** Single-tenant API keys (`Authorization: Bearer <key>` or `x-api-key`). */
    apiKeys: list.default([]),
    /**
     * Keys of the approvers' system, the only credentials `POST /v1/approvals` accepts (agent keys never: an
     * injected agent must not approve its own call). Empty: approvals cannot be answered here.
     */
    approverKeys: list.default([]),
    /**
     * Keys of the analysts' readers, the only API keys the analyst view (`/`, `/api/*`) accepts when
     * authentication is on (agent keys never: an injected agent with a shell must not read other sessions).
     */
    analystKeys: list.default([]),
    /** JWT claim that makes a bearer token an analyst's: the view accepts tokens whose claim is or lists `analyst`. */
    jwtAnalystClaim: z.string().min(1).default('bulwark_role'),
    /**
     * What a coding agent's pre-tool hook is answered when the collector cannot decide (busy, bus refusing
     * records, engine failure): `deny` (default), `ask` the user, or `allow` (the agent's own rules decide).
     */
    hookOnVerdictUnavailable: z.enum(['deny', 'ask', 'allow']).default('deny'),
    /** Tenant of API-key callers, and of unauthenticated loopback callers whose spans name none. */
    tenantId: z.string().min(1).max(512).default('default'),
    /** JWKS file whose keys verify multi-tenant bearer JWTs. */
    jwksFile: z.string().min(1).optional(),
    /** Inline JWKS (code option, or `BULWARK_JWKS` as JSON). */
    jwks: JwksSchema.optional(),
    jwtIssuer: z.string().min(1).optional(),
    jwtAudience: z.string().min(1).optional(),
    /** Claim that names the tenant in a JWT. */
    jwtTenantClaim: z.string().min(1).default('tenant'),
    /** CIDRs (v4/v6) allowed to connect; empty allows all. */
    ipAllow: list.default([]),
    /** CIDRs refused even when allowed. */
    ipDeny: list.default([]),
    /** Serve without credentials on a non-loopback address. Off: such a config is refused at start. */
    allowUnauthenticated: z.boolean().default(false),
    /** Base URLs of every collector instance (including this one) for session affinity. */
    peers: list.default([]),
    /** This instance's base URL as it appears in `peers`. */
    selfUrl: z.string().min(1).optional(),
    peerTimeoutMillis: millis.default(250),
    /** How long a peer that failed is skipped (answered locally) before it is tried again. */
    peerDownMillis: millis.default(5_000),
    shutdownTimeoutMillis: millis.default(10_000),
    /** How long one slice of ingest work (decode, mapping, applying events) may hold the event loop. */
    ingestSliceMillis: z.number().min(0.05).max(1_000).default(0.25),
    /** Exported events accepted but not yet applied to session state; beyond it /v1/traces answers 429. */
    maxPendingEvents: z.number().int().min(1).max(10_000_000).default(100_000),
    /** Events one verdict request may carry; more answers 413 (the SDK sends at most 1 000 by default). */
    maxVerdictEvents: z.number().int().min(1).max(10_000).default(1_000),
    /** Largest string value (UTF-8 bytes) in a verdict request: a tool-call argument or an event's text. */
    maxVerdictValueBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * MiB)
      .default(MiB),
    /**
     * Deepest nesting (levels) of a JSON body on the Bulwark routes; deeper answers 400. At most 1 000, the
     * depth contracts' stableHash accepts.
     */
    maxJsonDepth: z.number().int().min(8).max(1_000).default(64),
    /** Verdict requests of one tenant being read, queued or decided; beyond it that tenant gets 429. */
    maxQueuedVerdictsPerTenant: z.number().int().min(1).max(1_000_000).default(64),
    /** Verdict requests being read, queued or decided over all tenants; beyond it 503. */
    maxInFlightVerdicts: z.number().int().min(1).max(1_000_000).default(1_024),
    /** A verdict request still waiting for its turn after this long answers 503 (its caller gave up). */
    verdictQueueTimeoutMillis: millis.default(1_000),
    /** Open client connections; requests on connections beyond it answer 503 and the connection is closed. */
    maxConnections: z.number().int().min(1).max(1_000_000).default(1_024),
    /** Time a client has to send the request headers (node:http `headersTimeout`). */
    headersTimeoutMillis: millis.default(10_000),
    /** Time a client has to send the whole request (node:http `requestTimeout`). */
    requestTimeoutMillis: millis.default(30_000),
    /** Longest pause between two chunks of a request body before the request is answered 408 and closed. */
    bodyIdleTimeoutMillis: millis.default(10_000),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * `bulwark serve` also runs the stream worker (events → detectors → event store, alerts). Default true: one
     * process does everything. Set false on collectors when separate workers consume Kafka.
     */
    worker: z.boolean().default(true),
  })
  .strict();

export type CollectorConfig = z.infer<typeof CollectorConfigSchema>;
/** Code options: any subset of the config; values here beat env and defaults. */
export type CollectorConfigInput = z.input<typeof CollectorConfigSchema>;

type Kind = 'string' | 'number' | 'boolean' | 'list' | 'json';

/**
 * Env name and parser of every key.
 *
 * @example
 * COLLECTOR_ENV.maxBodyBytes.env; // 'BULWARK_MAX_BODY_BYTES'
 */
export const COLLECTOR_ENV: Readonly<Record<keyof CollectorConfig, { env: string; kind: Kind }>> = {
  host: { env: 'BULWARK_HOST', kind: 'string' },
  port: { env: 'BULWARK_PORT', kind: 'number' },
  maxBodyBytes: { env: 'BULWARK_MAX_BODY_BYTES', kind: 'number' },
  maxDecompressedBytes: { env: 'BULWARK_MAX_DECOMPRESSED_BYTES', kind: 'number' },
  nonAgentSpans: { env: 'BULWARK_NON_AGENT_SPANS', kind: 'string' },
  passthroughUrl: { env: 'BULWARK_PASSTHROUGH_URL', kind: 'string' },
  bus: { env: 'BULWARK_BUS', kind: 'string' },
  busMaxBufferedRecords: { env: 'BULWARK_BUS_MAX_BUFFERED_RECORDS', kind: 'number' },
  busWalDir: { env: 'BULWARK_BUS_WAL_DIR', kind: 'string' },
  kafkaBrokers: { env: 'BULWARK_KAFKA_BROKERS', kind: 'list' },
  kafkaClientId: { env: 'BULWARK_KAFKA_CLIENT_ID', kind: 'string' },
  kafkaTopicEvents: { env: 'BULWARK_KAFKA_TOPIC_EVENTS', kind: 'string' },
  kafkaTopicVerdicts: { env: 'BULWARK_KAFKA_TOPIC_VERDICTS', kind: 'string' },
  kafkaTopicFindings: { env: 'BULWARK_KAFKA_TOPIC_FINDINGS', kind: 'string' },
  kafkaTopicAlerts: { env: 'BULWARK_KAFKA_TOPIC_ALERTS', kind: 'string' },
  kafkaPartitions: { env: 'BULWARK_KAFKA_PARTITIONS', kind: 'number' },
  kafkaReplicationFactor: { env: 'BULWARK_KAFKA_REPLICATION_FACTOR', kind: 'number' },
  apiKeys: { env: 'BULWARK_API_KEYS', kind: 'list' },
  approverKeys: { env: 'BULWARK_APPROVER_KEYS', kind: 'list' },
  analystKeys: { env: 'BULWARK_ANALYST_KEYS', kind: 'list' },
  jwtAnalystClaim: { env: 'BULWARK_JWT_ANALYST_CLAIM', kind: 'string' },
  hookOnVerdictUnavailable: { env: 'BULWARK_HOOK_ON_VERDICT_UNAVAILABLE', kind: 'string' },
  tenantId: { env: 'BULWARK_TENANT_ID', kind: 'string' },
  jwksFile: { env: 'BULWARK_JWKS_FILE', kind: 'string' },
  jwks: { env: 'BULWARK_JWKS', kind: 'json' },
  jwtIssuer: { env: 'BULWARK_JWT_ISSUER', kind: 'string' },
  jwtAudience: { env: 'BULWARK_JWT_AUDIENCE', kind: 'string' },
  jwtTenantClaim: { env: 'BULWARK_JWT_TENANT_CLAIM', kind: 'string' },
  ipAllow: { env: 'BULWARK_IP_ALLOW', kind: 'list' },
  ipDeny: { env: 'BULWARK_IP_DENY', kind: 'list' },
  allowUnauthenticated: { env: 'BULWARK_ALLOW_UNAUTHENTICATED', kind: 'boolean' },
  peers: { env: 'BULWARK_PEERS', kind: 'list' },
  selfUrl: { env: 'BULWARK_SELF_URL', kind: 'string' },
  peerTimeoutMillis: { env: 'BULWARK_PEER_TIMEOUT_MILLIS', kind: 'number' },
  peerDownMillis: { env: 'BULWARK_PEER_DOWN_MILLIS', kind: 'number' },
  shutdownTimeoutMillis: { env: 'BULWARK_SHUTDOWN_TIMEOUT_MILLIS', kind: 'number' },
  ingestSliceMillis: { env: 'BULWARK_INGEST_SLICE_MILLIS', kind: 'number' },
  maxPendingEvents: { env: 'BULWARK_MAX_PENDING_EVENTS', kind: 'number' },
  maxVerdictEvents: { env: 'BULWARK_MAX_VERDICT_EVENTS', kind: 'number' },
  maxVerdictValueBytes: { env: 'BULWARK_MAX_VERDICT_VALUE_BYTES', kind: 'number' },
  maxJsonDepth: { env: 'BULWARK_MAX_JSON_DEPTH', kind: 'number' },
  maxQueuedVerdictsPerTenant: { env: 'BULWARK_MAX_QUEUED_VERDICTS_PER_TENANT', kind: 'number' },
  maxInFlightVerdicts: { env: 'BULWARK_MAX_IN_FLIGHT_VERDICTS', kind: 'number' },
  verdictQueueTimeoutMillis: { env: 'BULWARK_VERDICT_QUEUE_TIMEOUT_MILLIS', kind: 'number' },
  maxConnections: { env: 'BULWARK_MAX_CONNECTIONS', kind: 'number' },
  headersTimeoutMillis: { env: 'BULWARK_HEADERS_TIMEOUT_MILLIS', kind: 'number' },
  requestTimeoutMillis: { env: 'BULWARK_REQUEST_TIMEOUT_MILLIS', kind: 'number' },
  bodyIdleTimeoutMillis: { env: 'BULWARK_BODY_IDLE_TIMEOUT_MILLIS', kind: 'number' },
  logLevel: { env: 'BULWARK_LOG_LEVEL', kind: 'string' },
  worker: { env: 'BULWARK_WORKER', kind: 'boolean' },
};

/** Outcome of loading the config: the validated config, or every problem found. */
export type CollectorConfigResult = { ok: true; config: CollectorConfig } | { ok: false; issues: string[] };

function fromEnv(kind: Kind, raw: string): unknown {
  const v = raw.trim();
  switch (kind) {
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : raw;
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(v)) return true;
      if (/^(false|0|no|off)$/i.test(v)) return false;
      return raw;
    case 'list':
      return v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    case 'json':
      try {
        return JSON.parse(v);
      } catch {
        return raw;
      }
    default:
      return v;
  }
}

/**
 * True for addresses only this machine can reach (127/8, ::1, localhost).
 *
 * @example
 * isLoopbackHost('0.0.0.0'); // false
 */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const h = host.replace(/^\[|\]$/g, '');
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./i.test(h);
  return false;
}

/**
 * Parses `a.b.c.d`, `a.b.c.d/n`, `::1`, `fe80::/10` into address, prefix and family, or undefined.
 *
 * @example
 * parseCidr('10.0.0.0/8'); // { address: '10.0.0.0', prefix: 8, family: 'ipv4' }
 */
export function parseCidr(
  entry: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, extra] = entry.trim().split('/');
  if (extra !== undefined) return undefined;
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
  if (!family) return undefined;
  const max = family === 'ipv4' ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max, family };
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix <= max ? { address, prefix, family } : undefined;
}

function normalizeBaseUrl(u: string): string | undefined {
  try {
    const url = new URL(u);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

function label(key: string): string {
  const env = COLLECTOR_ENV[key as keyof CollectorConfig]?.env;
  return env ? `${key} (${env})` : key;
}

/**
 * Builds and validates the collector config once: code options over `BULWARK_*` env over defaults. Never
 * throws; a bad config comes back with every issue (key, env name, what is wrong).
 *
 * @example
 * const res = loadCollectorConfig({ port: 0 }, process.env);
 * if (!res.ok) { console.error(res.issues.join('\n')); process.exit(2); }
 */
export function loadCollectorConfig(
  options: Record<string, unknown> = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): CollectorConfigResult {
  const raw: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(COLLECTOR_ENV)) {
    const v = env[spec.env];
    if (v !== undefined && v.trim() !== '') raw[key] = fromEnv(spec.kind, v);
  }
  for (const [key, v] of Object.entries(options)) if (v !== undefined) raw[key] = v;

  const parsed = CollectorConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      if (i.code === 'unrecognized_keys') return `unknown option(s): ${i.keys.join(', ')}`;
      const key = String(i.path[0] ?? '');
      const got = key in raw && typeof raw[key] !== 'object' ? `, got ${JSON.stringify(raw[key])}` : '';
      return `${formatZodIssue(i, { key: label })}${got}`;
    });
    return { ok: false, issues };
  }
  const c = parsed.data;
  const issues: string[] = [];

  if (c.bus === 'kafka' && c.kafkaBrokers.length === 0) {
    issues.push(`${label('kafkaBrokers')}: required when bus is kafka (e.g. 127.0.0.1:9092)`);
  }
  for (const b of c.kafkaBrokers) {
    if (!/^[^:\s/]+:\d{1,5}$/.test(b)) issues.push(`${label('kafkaBrokers')}: "${b}" is not host:port`);
  }
  for (const k of [
    'kafkaTopicEvents',
    'kafkaTopicVerdicts',
    'kafkaTopicFindings',
    'kafkaTopicAlerts',
  ] as const) {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(c[k]))
      issues.push(`${label(k)}: "${c[k]}" is not a valid Kafka topic name`);
  }
  if (c.busWalDir !== undefined && c.busWalDir !== 'off') {
    if (c.bus === 'kafka')
      issues.push(
        `${label('busWalDir')}: only used with the in-process bus (Kafka keeps its own log); unset it or set off`,
      );
    else if (fs.existsSync(c.busWalDir) && !fs.statSync(c.busWalDir).isDirectory())
      issues.push(`${label('busWalDir')}: ${c.busWalDir} exists and is not a directory`);
  }
  if (c.nonAgentSpans === 'passthrough' && !c.passthroughUrl) {
    issues.push(`${label('passthroughUrl')}: required when nonAgentSpans is passthrough`);
  }
  for (const k of ['ipAllow', 'ipDeny'] as const) {
    for (const e of c[k]) if (!parseCidr(e)) issues.push(`${label(k)}: "${e}" is not an IP address or CIDR`);
  }
  if (c.jwksFile) {
    try {
      const parsedJwks = JwksSchema.safeParse(JSON.parse(fs.readFileSync(c.jwksFile, 'utf8')));
      if (!parsedJwks.success)
        issues.push(`${label('jwksFile')}: ${c.jwksFile} is not a JWKS ({"keys":[...]})`);
    } catch (err) {
      issues.push(`${label('jwksFile')}: cannot read ${c.jwksFile}: ${(err as Error).message}`);
    }
  }
  if (c.approverKeys.some((k) => k.length < 16))
    issues.push(`${label('approverKeys')}: every key must be at least 16 characters`);
  if (c.approverKeys.some((k) => c.apiKeys.includes(k)))
    issues.push(`${label('approverKeys')}: an approver key must not also be an agent API key`);
  if (c.analystKeys.some((k) => k.length < 16))
    issues.push(`${label('analystKeys')}: every key must be at least 16 characters`);
  if (c.analystKeys.some((k) => c.apiKeys.includes(k)))
    issues.push(`${label('analystKeys')}: an analyst key must not also be an agent API key`);
  if (c.apiKeys.some((k) => k.length < 16)) {
    issues.push(`${label('apiKeys')}: every key must be at least 16 characters`);
  }
  const authConfigured = c.apiKeys.length > 0 || c.jwks !== undefined || c.jwksFile !== undefined;
  if (!authConfigured && !isLoopbackHost(c.host) && !c.allowUnauthenticated) {
    issues.push(
      `${label('apiKeys')}: host ${c.host} is not loopback, so credentials are required: set BULWARK_API_KEYS or BULWARK_JWKS_FILE (or BULWARK_ALLOW_UNAUTHENTICATED=true to serve without, not recommended)`,
    );
  }
  if (c.headersTimeoutMillis > c.requestTimeoutMillis)
    issues.push(
      `${label('headersTimeoutMillis')}: must not exceed requestTimeoutMillis=${c.requestTimeoutMillis} (the whole request includes its headers)`,
    );
  if (c.maxQueuedVerdictsPerTenant > c.maxInFlightVerdicts)
    issues.push(
      `${label('maxQueuedVerdictsPerTenant')}: must not exceed maxInFlightVerdicts=${c.maxInFlightVerdicts}`,
    );
  if (c.peers.length > 0) {
    const normalized: string[] = [];
    for (const p of c.peers) {
      const n = normalizeBaseUrl(p);
      if (!n) issues.push(`${label('peers')}: "${p}" is not an http(s) base URL`);
      else normalized.push(n);
    }
    const self = c.selfUrl ? normalizeBaseUrl(c.selfUrl) : undefined;
    if (!c.selfUrl)
      issues.push(`${label('selfUrl')}: required when peers are set (this instance's URL in the peer list)`);
    else if (!self) issues.push(`${label('selfUrl')}: "${c.selfUrl}" is not an http(s) base URL`);
    else if (!normalized.includes(self)) issues.push(`${label('selfUrl')}: ${self} is not one of the peers`);
    c.peers = [...new Set(normalized)];
    if (self) c.selfUrl = self;
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, config: c };
}

/**
 * {@link loadCollectorConfig} that throws {@link CollectorConfigError} (with every issue) instead.
 *
 * @example
 * const config = resolveCollectorConfig({ bus: 'kafka', kafkaBrokers: ['127.0.0.1:9092'] });
 */
export function resolveCollectorConfig(
  options: Record<string, unknown> = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): CollectorConfig {
  const res = loadCollectorConfig(options, env);
  if (!res.ok) throw new CollectorConfigError(res.issues);
  return res.config;
}
