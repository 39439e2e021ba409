/**
 * The one ClickHouse schema of Bulwark's event store, shared by the embedded (chdb) and the server store.
 *
 * Two DDL dialects, one set of tables and columns:
 * - `modern` (ClickHouse >= 20, chdb 3.x): `LowCardinality` strings and retention by `TTL`.
 * - `legacy` (ClickHouse 18.x/19.x, e.g. Debian's 18.16): plain `String` and no `TTL` (drop old monthly
 *   partitions by hand). Everything else, including every query in `queries.ts`, is identical.
 *
 * Idempotency: every raw table is a `ReplacingMergeTree` whose sorting key ends in the record's id, and
 * every query reads it with `FINAL`, so a redelivered record never shows twice. The trend tables are
 * `AggregatingMergeTree`s fed by materialized views; they count with `uniqExact(id)` states, which a
 * duplicate insert does not change.
 *
 * Time: `timestamp_ms` (UInt64, epoch ms) is the record's own time; `event_time` (DateTime, UTC seconds) is
 * derived from it for partitions and minute buckets (DateTime64 does not exist on 18.x), clamped to the
 * received time when the record's time is implausible. `received_at_ms` / `received_time` (schema v3) are
 * when Bulwark received the record (collector stamp, else the store's clock): retention (TTL) keys on
 * `received_time`, so a record claiming 1970 or 2200 is neither dropped on arrival nor kept forever. Sorting
 * keys stay on ids and the record's own time: a redelivered copy gets a new received time but must still
 * collapse with the first.
 */

export type SqlDialect = 'modern' | 'legacy';

/** Table names, for queries and for the dashboards. */
export const TABLES = {
  events: 'events',
  toolCalls: 'tool_calls',
  verdicts: 'verdicts',
  findings: 'findings',
  alerts: 'alerts',
  deadLetters: 'dead_letters',
  sessions: 'sessions',
  decisionsPerMinute: 'decisions_per_minute',
  blockedTools: 'blocked_tools',
  schemaMigrations: 'schema_migrations',
} as const;
export type TableName = (typeof TABLES)[keyof typeof TABLES];

/** Tables the stores insert rows into (the others are filled by materialized views). */
export const WRITABLE_TABLES = [
  TABLES.events,
  TABLES.toolCalls,
  TABLES.verdicts,
  TABLES.findings,
  TABLES.alerts,
  TABLES.deadLetters,
] as const;
export type WritableTable = (typeof WRITABLE_TABLES)[number];

export interface SchemaOptions {
  dialect: SqlDialect;
  /** Rows older than this are dropped by TTL (modern dialect). */
  retentionDays: number;
}

/** A column a migration adds to an existing table (skipped when the table already has it). */
export interface ColumnAddition {
  table: string;
  column: string;
  /** Type and default, e.g. `UInt64 DEFAULT timestamp_ms`: old rows read the default. */
  definition: string;
}

/**
 * One versioned, idempotent schema step. Statements use `IF NOT EXISTS` so concurrent starts are harmless;
 * added columns are checked against `system.columns` first (18.x has no `ADD COLUMN IF NOT EXISTS`).
 */
export interface Migration {
  version: number;
  name: string;
  statements(options: SchemaOptions): string[];
  addColumns?: readonly ColumnAddition[];
}

/** Low-cardinality string column type for the dialect. */
function lc(o: SchemaOptions): string {
  return o.dialect === 'modern' ? 'LowCardinality(String)' : 'String';
}

/** Retention clause on a DateTime/Date column; none on legacy servers (no TTL before 19.6). */
export function ttlClause(o: SchemaOptions, column: string): string {
  return o.dialect === 'modern' ? `TTL ${column} + toIntervalDay(${Math.floor(o.retentionDays)})` : '';
}

/**
 * Tables with retention, and the column their TTL is computed from: raw tables by received time (schema v3),
 * so nothing accepted ages out early whatever time it claims.
 */
export const TTL_COLUMNS: Readonly<Record<string, string>> = {
  [TABLES.events]: 'received_time',
  [TABLES.toolCalls]: 'received_time',
  [TABLES.verdicts]: 'received_time',
  [TABLES.findings]: 'received_time',
  [TABLES.alerts]: 'received_time',
  [TABLES.deadLetters]: 'received_time',
  [TABLES.sessions]: 'event_date',
  [TABLES.decisionsPerMinute]: 'minute',
  [TABLES.blockedTools]: 'day',
};

function rawTable(o: SchemaOptions, name: string, columns: string[], orderBy: string): string {
  return [
    `CREATE TABLE IF NOT EXISTS ${name} (`,
    `  ${columns.join(',\n  ')}`,
    ') ENGINE = ReplacingMergeTree',
    'PARTITION BY toYYYYMM(event_time)',
    `ORDER BY (${orderBy})`,
    ttlClause(o, 'event_time'),
  ]
    .filter(Boolean)
    .join('\n');
}

/** Aggregate columns of `sessions` with the empty state of each (18.x needs every column from a view). */
const SESSION_STATES: Readonly<Record<string, string>> = {
  agent_id: "arrayReduce('maxState', emptyArrayString())",
  first_seen_ms: "arrayReduce('minState', CAST([] AS Array(UInt64)))",
  last_seen_ms: "arrayReduce('maxState', CAST([] AS Array(UInt64)))",
  events: "arrayReduce('uniqExactState', emptyArrayString())",
  tool_calls: "arrayReduce('uniqExactState', emptyArrayString())",
  findings: "arrayReduce('uniqExactState', emptyArrayString())",
  blocking_findings: "arrayReduce('uniqExactState', emptyArrayString())",
  max_severity_rank: "arrayReduce('maxState', CAST([] AS Array(UInt8)))",
};

/**
 * One materialized view feeding `sessions` from one source table. One view per source and condition,
 * because `-If` state types do not match plain ones on 18.x.
 */
function sessionsView(
  suffix: string,
  source: string,
  where: string,
  provided: Record<string, string>,
): string {
  const columns = Object.entries(SESSION_STATES).map(
    ([col, empty]) => `  ${provided[col] ?? empty} AS ${col}`,
  );
  return [
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${TABLES.sessions}_from_${suffix}_mv TO ${TABLES.sessions} AS`,
    'SELECT tenant_id, session_id, toDate(event_time) AS event_date,',
    columns.join(',\n'),
    `FROM ${source}`,
    where ? `WHERE ${where}` : '',
    'GROUP BY tenant_id, session_id, event_date',
  ]
    .filter(Boolean)
    .join('\n');
}

/** Version 1, `events`: every agent event, with the whole event as JSON. */
function eventsTable(o: SchemaOptions): string {
  return rawTable(
    o,
    TABLES.events,
    [
      `tenant_id ${lc(o)}`,
      'session_id String',
      'event_id String',
      `kind ${lc(o)}`,
      'agent_id String',
      'agent_name String',
      'trace_id String',
      'span_id String',
      'server String',
      'tool_name String',
      'tool_call_id String',
      'timestamp_ms UInt64',
      'event_time DateTime',
      // The whole AgentEvent as JSON: what the retro-hunt replays.
      'payload String',
    ],
    'tenant_id, session_id, timestamp_ms, event_id',
  );
}

/** Version 1, `tool_calls`: one row per tool call event, joinable to its verdicts by arguments hash. */
function toolCallsTable(o: SchemaOptions): string {
  return rawTable(
    o,
    TABLES.toolCalls,
    [
      `tenant_id ${lc(o)}`,
      'session_id String',
      'tool_call_id String',
      'event_id String',
      'agent_id String',
      'tool_name String',
      'server String',
      'arguments String',
      // Same hash as Verdict.argumentsHash: joins a call to the verdicts on it.
      'arguments_hash String',
      'timestamp_ms UInt64',
      'event_time DateTime',
    ],
    'tenant_id, session_id, tool_call_id, event_id',
  );
}

/** Version 1, `verdicts`: every decision on a tool call, inline or after the fact. */
function verdictsTable(o: SchemaOptions): string {
  return rawTable(
    o,
    TABLES.verdicts,
    [
      `tenant_id ${lc(o)}`,
      'session_id String',
      'verdict_id String',
      'tool_call_id String',
      'tool_name String',
      'agent_id String',
      `decision ${lc(o)}`,
      // inline: decided before the call ran (collector); stream: re-evaluated after the fact (worker).
      `origin ${lc(o)}`,
      `source ${lc(o)}`,
      'detector_ids Array(String)',
      `max_severity ${lc(o)}`,
      'reasons String',
      'arguments_hash String',
      'decision_time_micros UInt64',
      'timestamp_ms UInt64',
      'event_time DateTime',
    ],
    'tenant_id, session_id, verdict_id',
  );
}

/** Version 1, `findings`: what the detectors found. */
function findingsTable(o: SchemaOptions): string {
  return rawTable(
    o,
    TABLES.findings,
    [
      `tenant_id ${lc(o)}`,
      'session_id String',
      'finding_id String',
      'agent_id String',
      `detector_id ${lc(o)}`,
      `severity ${lc(o)}`,
      'severity_rank UInt8',
      `decision ${lc(o)}`,
      'title String',
      'description String',
      'event_id String',
      'tool_name String',
      'server String',
      'evidence String',
      'timestamp_ms UInt64',
      'event_time DateTime',
    ],
    'tenant_id, session_id, finding_id',
  );
}

/** Version 1, `alerts`: what was routed to a human; findings by id. */
function alertsTable(o: SchemaOptions): string {
  return rawTable(
    o,
    TABLES.alerts,
    [
      `tenant_id ${lc(o)}`,
      'session_id String',
      'dedup_key String',
      'alert_id String',
      `action ${lc(o)}`,
      `severity ${lc(o)}`,
      'severity_rank UInt8',
      'title String',
      'summary String',
      'agent_id String',
      'detector_ids Array(String)',
      'finding_ids Array(String)',
      'first_seen_ms UInt64',
      'last_seen_ms UInt64',
      'timestamp_ms UInt64',
      'event_time DateTime',
    ],
    'tenant_id, dedup_key, alert_id',
  );
}

/** Version 1, `dead_letters`: what could not be handled and is kept for a human. */
function deadLettersTable(o: SchemaOptions): string {
  return rawTable(
    o,
    TABLES.deadLetters,
    [
      `tenant_id ${lc(o)}`,
      'dead_letter_id String',
      // What failed: `alert`, `approval`, `bus.events`, `store.<table>`, ...
      `source ${lc(o)}`,
      'channel String',
      'reason String',
      'attempts UInt32',
      'payload String',
      'timestamp_ms UInt64',
      'event_time DateTime',
    ],
    'tenant_id, source, dead_letter_id',
  );
}

/** The schema, in order. Append new versions; never edit an applied one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'raw tables: events, tool_calls, verdicts, findings, alerts, dead_letters',
    statements: (o) => [
      eventsTable(o),
      toolCallsTable(o),
      verdictsTable(o),
      findingsTable(o),
      alertsTable(o),
      deadLettersTable(o),
    ],
  },
  {
    version: 2,
    name: 'trend aggregates: sessions, decisions_per_minute, blocked_tools and their materialized views',
    statements: (o) => [
      [
        `CREATE TABLE IF NOT EXISTS ${TABLES.sessions} (`,
        `  tenant_id ${lc(o)},`,
        '  session_id String,',
        '  event_date Date,',
        '  agent_id AggregateFunction(max, String),',
        '  first_seen_ms AggregateFunction(min, UInt64),',
        '  last_seen_ms AggregateFunction(max, UInt64),',
        '  events AggregateFunction(uniqExact, String),',
        '  tool_calls AggregateFunction(uniqExact, String),',
        '  findings AggregateFunction(uniqExact, String),',
        '  blocking_findings AggregateFunction(uniqExact, String),',
        '  max_severity_rank AggregateFunction(max, UInt8)',
        ') ENGINE = AggregatingMergeTree',
        'PARTITION BY toYYYYMM(event_date)',
        'ORDER BY (tenant_id, session_id, event_date)',
        ttlClause(o, 'event_date'),
      ]
        .filter(Boolean)
        .join('\n'),
      sessionsView('events', TABLES.events, '', {
        agent_id: 'maxState(agent_id)',
        first_seen_ms: 'minState(timestamp_ms)',
        last_seen_ms: 'maxState(timestamp_ms)',
        events: 'uniqExactState(event_id)',
      }),
      sessionsView('tool_calls', TABLES.toolCalls, '', { tool_calls: 'uniqExactState(tool_call_id)' }),
      sessionsView('findings', TABLES.findings, '', {
        agent_id: 'maxState(agent_id)',
        findings: 'uniqExactState(finding_id)',
        max_severity_rank: 'maxState(severity_rank)',
      }),
      sessionsView('blocking_findings', TABLES.findings, "decision = 'block'", {
        blocking_findings: 'uniqExactState(finding_id)',
      }),
      [
        `CREATE TABLE IF NOT EXISTS ${TABLES.decisionsPerMinute} (`,
        `  tenant_id ${lc(o)},`,
        '  minute DateTime,',
        '  agent_id String,',
        `  detector_id ${lc(o)},`,
        `  decision ${lc(o)},`,
        `  origin ${lc(o)},`,
        '  verdicts AggregateFunction(uniqExact, String)',
        ') ENGINE = AggregatingMergeTree',
        'PARTITION BY toYYYYMM(minute)',
        'ORDER BY (tenant_id, minute, detector_id, agent_id, decision, origin)',
        ttlClause(o, 'minute'),
      ]
        .filter(Boolean)
        .join('\n'),
      [
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${TABLES.decisionsPerMinute}_mv TO ${TABLES.decisionsPerMinute} AS`,
        'SELECT tenant_id, toStartOfMinute(event_time) AS minute, agent_id,',
        // A verdict without detectors (a plain allow) counts under detector_id ''.
        "  arrayJoin(if(empty(detector_ids), [''], detector_ids)) AS detector_id,",
        '  decision, origin, uniqExactState(verdict_id) AS verdicts',
        `FROM ${TABLES.verdicts}`,
        'GROUP BY tenant_id, minute, agent_id, detector_id, decision, origin',
      ].join('\n'),
      [
        `CREATE TABLE IF NOT EXISTS ${TABLES.blockedTools} (`,
        `  tenant_id ${lc(o)},`,
        '  day Date,',
        '  tool_name String,',
        // One tool call blocked inline and again after the fact counts once.
        '  blocked_calls AggregateFunction(uniqExact, String),',
        '  sessions AggregateFunction(uniqExact, String)',
        ') ENGINE = AggregatingMergeTree',
        'PARTITION BY toYYYYMM(day)',
        'ORDER BY (tenant_id, day, tool_name)',
        ttlClause(o, 'day'),
      ]
        .filter(Boolean)
        .join('\n'),
      [
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${TABLES.blockedTools}_mv TO ${TABLES.blockedTools} AS`,
        'SELECT tenant_id, toDate(event_time) AS day, tool_name,',
        "  uniqExactState(concat(session_id, '/', tool_call_id)) AS blocked_calls,",
        '  uniqExactState(session_id) AS sessions',
        `FROM ${TABLES.verdicts}`,
        "WHERE decision = 'block'",
        'GROUP BY tenant_id, day, tool_name',
      ].join('\n'),
    ],
  },
  {
    version: 3,
    name: 'received time on raw tables (retention by received time), claimed time and clock_skew on events',
    // Retention moves to `received_time` in `alignRetention` (modern dialect), from TTL_COLUMNS.
    statements: () => [],
    addColumns: [
      ...[
        TABLES.events,
        TABLES.toolCalls,
        TABLES.verdicts,
        TABLES.findings,
        TABLES.alerts,
        TABLES.deadLetters,
      ].flatMap((table) => [
        // Rows written before v3 read their own time as received time (what their TTL was keyed on).
        { table, column: 'received_at_ms', definition: 'UInt64 DEFAULT timestamp_ms' },
        { table, column: 'received_time', definition: 'DateTime DEFAULT event_time' },
      ]),
      ...[TABLES.events, TABLES.toolCalls].flatMap((table) => [
        // The sender's own time when it was clamped (else equal to timestamp_ms), for display.
        { table, column: 'claimed_timestamp_ms', definition: 'UInt64 DEFAULT timestamp_ms' },
        { table, column: 'clock_skew', definition: 'UInt8 DEFAULT 0' },
      ]),
    ],
  },
  {
    version: 4,
    name: 'enforced decision on tool_calls: what the client did (fallbacks included), the inline decision, whether they differ',
    statements: () => [],
    // Rows written before v4 read '' (not reported) and 0.
    addColumns: [
      { table: TABLES.toolCalls, column: 'enforced_decision', definition: "String DEFAULT ''" },
      // verdict | fallback_timeout | fallback_error | fallback_unavailable
      { table: TABLES.toolCalls, column: 'enforced_source', definition: "String DEFAULT ''" },
      { table: TABLES.toolCalls, column: 'enforced_reason', definition: "String DEFAULT ''" },
      // The collector's inline decision on the call, else the decision of the verdict the client acted on.
      { table: TABLES.toolCalls, column: 'inline_decision', definition: "String DEFAULT ''" },
      // 1 when the enforced decision did not come from the inline verdict or differs from it.
      { table: TABLES.toolCalls, column: 'enforced_differs', definition: 'UInt8 DEFAULT 0' },
    ],
  },
];

/** The bookkeeping table of applied migrations. */
export function schemaMigrationsDdl(): string {
  return [
    `CREATE TABLE IF NOT EXISTS ${TABLES.schemaMigrations} (`,
    '  version UInt32,',
    '  name String,',
    '  applied_at_ms UInt64',
    ') ENGINE = ReplacingMergeTree',
    'ORDER BY version',
  ].join('\n');
}

/** Highest schema version this code knows. */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));
