/**
 * Every panel and variable query of every built dashboard, expanded the way Grafana and the ClickHouse
 * plugin expand it, runs on the embedded ClickHouse engine (the store's own `ChdbEventStore`, schema and
 * migrations) over seeded data and returns the columns the panel needs. A dashboard whose SQL no longer fits
 * the schema fails here.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChdbEventStore, type StoreQuery } from '@bulwark/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allDashboards, dashboardFileText } from '../src/all-dashboards.js';
import {
  expandGrafanaSql,
  type GrafanaQueryContext,
  type GrafanaVariableState,
} from '../src/expand-grafana-sql.js';
import { type SeedResult, seedStore } from './seed-store.js';

const dashboardsDir = fileURLToPath(new URL('../grafana/dashboards/', import.meta.url));

interface Target {
  rawSql: string;
  datasource?: { type?: string; uid?: string };
  queryType?: string;
  format?: number;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  allValue?: string;
  query?: { rawSql?: string } | string;
}
interface DashboardFile {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

/** Columns each panel must return (by dashboard uid, then panel title). A new panel must be listed here. */
const EXPECTED_COLUMNS: Record<string, Record<string, string[]>> = {
  'bulwark-soc-overview': {
    'Tool calls decided': ['decisions'],
    Blocked: ['blocked'],
    'Block rate': ['block_rate'],
    'Incidents raised': ['incidents'],
    'Open incidents': ['open_incidents'],
    'Sessions at risk': ['sessions_at_risk'],
    'Decisions by outcome': ['time', 'allow', 'alert', 'require_approval', 'block'],
    'Detections by detector': ['time', 'detector_id', 'decisions'],
    'Alerts by severity': ['time', 'critical', 'high', 'medium', 'low', 'info'],
    'Top blocked tools': ['tool_name', 'blocked_calls'],
    'Calls refused without a verdict': ['time', 'fallback_timeout', 'fallback_unavailable', 'fallback_error'],
    'Enforced vs inline decision differs': [
      'time',
      'tenant_id',
      'session_id',
      'agent_id',
      'tool',
      'enforced_decision',
      'source',
      'inline_decision',
      'reason',
    ],
    'Executed, would have been blocked': [
      'time',
      'tenant_id',
      'session_id',
      'agent_id',
      'tool',
      'inline_decision',
      'stream_decision',
      'detectors',
    ],
    'Open incidents#table': [
      'last_seen',
      'severity',
      'title',
      'tenant_id',
      'session_id',
      'agent_id',
      'detectors',
    ],
    'Riskiest agents': [
      'agent_id',
      'findings',
      'blocking',
      'risk_score',
      'max_severity',
      'sessions',
      'last_seen',
    ],
    'Riskiest tenants': ['tenant_id', 'findings', 'risk_score', 'max_severity', 'agents'],
    'Riskiest sessions': [
      'tenant_id',
      'session_id',
      'agent',
      'findings',
      'risk_score',
      'max_severity',
      'detectors',
    ],
  },
  'bulwark-session': {
    Events: ['events'],
    'Tool calls': ['tool_calls'],
    'Blocked calls': ['blocked_calls'],
    Findings: ['findings'],
    'Worst severity': ['worst_severity_rank'],
    Alerts: ['alerts'],
    Timeline: ['time', 'kind', 'actor', 'tool', 'detail', 'decision', 'severity'],
    'Evidence chain': [
      'time',
      'detector',
      'severity',
      'decision',
      'finding',
      'evidence_event',
      'evidence_kind',
      'field',
      'excerpt',
    ],
    Verdicts: ['time', 'tool', 'decision', 'origin', 'detectors', 'reason', 'tool_call_id'],
  },
  'bulwark-tool-sequences': {
    Anomalies: ['anomalies'],
    Blocked: ['blocked'],
    'Sessions affected': ['sessions'],
    'Agents affected': ['agents'],
    'Anomalies by severity': ['time', 'critical', 'high', 'medium', 'low', 'info'],
    'Anomalies by agent': ['agent', 'anomalies'],
    'Anomalous tool calls': [
      'time',
      'tenant_id',
      'agent_id',
      'session_id',
      'tool',
      'severity',
      'title',
      'evidence',
    ],
    'Transitions in flagged sessions': ['transition', 'occurrences', 'sessions'],
    'Most common transitions': ['transition', 'occurrences', 'sessions'],
  },
  'bulwark-exfiltration': {
    'Exfiltration attempts': ['attempts'],
    Blocked: ['blocked'],
    'Not blocked': ['not_blocked'],
    Sessions: ['sessions'],
    'Attempts by decision': ['time', 'allow', 'alert', 'require_approval', 'block'],
    'Attempts by tool': ['tool', 'attempts'],
    'Exfiltration attempts#table': [
      'time',
      'tenant_id',
      'session_id',
      'tool',
      'sink',
      'destination',
      'decision',
      'evidence_excerpts',
    ],
    Destinations: ['target', 'tool', 'attempts', 'blocked', 'agents', 'last_seen'],
  },
  'bulwark-mcp-inventory': {
    Servers: ['servers'],
    Tools: ['tools'],
    'Tool poisoning findings': ['poisoning_findings'],
    'Rug pulls': ['rug_pulls'],
    'MCP servers': [
      'server',
      'tenants',
      'agents',
      'sessions',
      'tool_calls',
      'tool_lists',
      'first_seen',
      'last_seen',
    ],
    'MCP tools': ['mcp_server', 'tool', 'times_listed', 'definitions', 'calls', 'blocked_calls', 'last_seen'],
    'Tool poisoning': [
      'time',
      'tenant_id',
      'mcp_server',
      'tool',
      'detector_id',
      'severity',
      'evidence',
      'session_id',
    ],
    'Rug pulls (detector findings)': ['time', 'mcp_server', 'tool', 'detector_id', 'severity', 'evidence'],
    'Changed tool definitions': ['mcp_server', 'tool', 'versions', 'first_description', 'latest_description'],
  },
};

/** Panel title as listed above: tables whose title repeats a stat's get a `#table` suffix. */
function expectationKey(d: DashboardFile, p: Panel): string {
  const repeated = flatPanels(d).filter((q) => q.title === p.title).length > 1;
  return repeated && p.type === 'table' ? `${p.title}#table` : p.title;
}

function flatPanels(d: DashboardFile): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

function loadDashboards(): DashboardFile[] {
  return readdirSync(dashboardsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dashboardsDir, f), 'utf8')) as DashboardFile);
}

const rowsQuery = (
  name: string,
  sql: string,
): StoreQuery<Record<string, never>, Record<string, unknown>> => ({
  name,
  sql,
  decodeRow: (r) => r,
});

const HOUR = 3_600_000;
const now = Date.now();
let store: ChdbEventStore;
let dataDir: string;
let seed: SeedResult;

/** Grafana's state with every multi-value variable on All, and the seeded attack session selected. */
function allSelected(d: DashboardFile): GrafanaQueryContext {
  const variables: Record<string, GrafanaVariableState> = {};
  for (const v of d.templating.list) {
    variables[v.name] =
      v.name === 'session'
        ? { value: seed.attackSession.sessionId }
        : { value: ['$__all'], ...(v.allValue !== undefined ? { allValue: v.allValue } : {}) };
  }
  return { fromMillis: now - 24 * HOUR, toMillis: now + 60_000, intervalMillis: 60_000, variables };
}

/** Grafana's state with specific values picked (single and multi), as a user would filter. */
function filtered(d: DashboardFile): GrafanaQueryContext {
  const ctx = allSelected(d);
  const picks: Record<string, string[]> = {
    tenant: [seed.attackSession.tenantId],
    agent: [seed.attackSession.agentId, 'devops-agent'],
    detector: ['injection.chain', 'exfil.sensitive-flow'],
  };
  const variables: Record<string, GrafanaVariableState> = { ...ctx.variables };
  for (const [name, value] of Object.entries(picks)) if (variables[name]) variables[name] = { value };
  return { ...ctx, variables };
}

async function run(sql: string, name: string): Promise<Record<string, unknown>[]> {
  const res = await store.query(rowsQuery(name, sql), {});
  if (!res.ok) throw new Error(`${name}: ${res.reason}: ${res.message}\n--- SQL ---\n${sql}`);
  return res.rows;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-dashboards-'));
  store = await ChdbEventStore.open({ dataDir });
  seed = await seedStore(store, now);
});

afterAll(async () => {
  await store?.shutdown();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('built dashboards', () => {
  it('are up to date with the code (run `npm run build:dashboards -w @bulwark/dashboards`)', () => {
    const files = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json'));
    const built = allDashboards();
    expect(files.sort()).toEqual(built.map((b) => b.file).sort());
    for (const { file, json } of built) {
      expect(readFileSync(path.join(dashboardsDir, file), 'utf8'), `${file} is stale`).toBe(
        dashboardFileText(json),
      );
    }
  });

  it('cover the required dashboards, variables and time range', () => {
    const dashboards = loadDashboards();
    expect(dashboards.map((d) => d.uid).sort()).toEqual(Object.keys(EXPECTED_COLUMNS).sort());
    for (const d of dashboards) {
      const names = d.templating.list.map((v) => v.name);
      expect(names, d.uid).toEqual(expect.arrayContaining(['tenant', 'agent', 'detector']));
      for (const v of d.templating.list.filter((x) => x.name !== 'session')) {
        expect(v, `${d.uid} ${v.name}`).toMatchObject({ multi: true, includeAll: true });
      }
      for (const p of flatPanels(d).filter((x) => x.targets)) {
        const key = expectationKey(d, p);
        expect(
          EXPECTED_COLUMNS[d.uid]?.[key],
          `${d.uid}: panel "${key}" has no expected columns in this test`,
        ).toBeDefined();
        for (const t of p.targets ?? []) {
          expect(t.datasource).toEqual({ type: 'grafana-clickhouse-datasource', uid: 'bulwark-clickhouse' });
          // Every panel respects the dashboard time range.
          expect(t.rawSql, `${d.uid}: ${p.title}`).toMatch(/\$__(timeFilter|dateFilter)\(/);
        }
      }
    }
    expect(
      loadDashboards()
        .find((d) => d.uid === 'bulwark-session')
        ?.templating.list.map((v) => v.name),
    ).toContain('session');
  });
});

describe('panel queries on seeded data (chdb)', () => {
  const dashboards = loadDashboards();
  for (const d of dashboards) {
    describe(d.title, () => {
      for (const p of flatPanels(d).filter((x) => x.targets)) {
        it(`${p.title} (${p.type}) returns its columns with rows`, async () => {
          const expected = EXPECTED_COLUMNS[d.uid]?.[expectationKey(d, p)] ?? [];
          for (const t of p.targets ?? []) {
            const rows = await run(expandGrafanaSql(t.rawSql, allSelected(d)), `${d.uid}/${p.title}`);
            expect(rows.length, `${p.title} returned no rows`).toBeGreaterThan(0);
            expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(expected));
            if (p.type === 'stat')
              expect(Number(Object.values(rows[0]!)[0]), `${p.title} is zero`).toBeGreaterThan(0);
            if (p.type === 'timeseries') expect(t.format).toBe(0);
            // Filtered by tenant, several agents and detectors: still valid SQL.
            await run(expandGrafanaSql(t.rawSql, filtered(d)), `${d.uid}/${p.title} (filtered)`);
          }
        });
      }

      it('variable queries return values', async () => {
        for (const v of d.templating.list) {
          const sql = typeof v.query === 'string' ? v.query : v.query?.rawSql;
          expect(sql, `${v.name} has no SQL`).toBeTruthy();
          const rows = await run(expandGrafanaSql(sql!, allSelected(d)), `${d.uid}/$${v.name}`);
          const values = rows.map((r) => String(Object.values(r)[0]));
          const wanted: Record<string, string[]> = {
            tenant: seed.tenants,
            agent: seed.agents,
            detector: seed.detectors,
            session: [seed.attackSession.sessionId],
          };
          expect(values, v.name).toEqual(expect.arrayContaining(wanted[v.name] ?? []));
          expect(values.length, v.name).toBeGreaterThan(0);
        }
      });
    });
  }
});

describe('the check bites', () => {
  it('fails a panel whose SQL names a column the schema does not have', async () => {
    const d = loadDashboards().find((x) => x.uid === 'bulwark-soc-overview')!;
    const sql = flatPanels(d).find((p) => p.title === 'Top blocked tools')!.targets![0]!.rawSql;
    const broken = sql.replace('tool_name', 'tool_label');
    await expect(run(expandGrafanaSql(broken, allSelected(d)), 'broken')).rejects.toThrow(/tool_label/);
  });

  it('finds the attack session through the session variable and its evidence chain', async () => {
    const d = loadDashboards().find((x) => x.uid === 'bulwark-session')!;
    const sql = flatPanels(d).find((p) => p.title === 'Evidence chain')!.targets![0]!.rawSql;
    const rows = await run(expandGrafanaSql(sql, allSelected(d)), 'evidence');
    const kinds = rows.map((r) => r.evidence_kind);
    // The chain: the injected tool result, then the blocked call it drove.
    expect(kinds).toEqual(expect.arrayContaining(['tool_result', 'tool_call']));
    expect(rows.map((r) => r.excerpt)).toEqual(expect.arrayContaining(['attacker@evil.example']));
  });
});

describe('what the agents enforced (SOC overview)', () => {
  const panelRows = async (title: string) => {
    const d = loadDashboards().find((x) => x.uid === 'bulwark-soc-overview')!;
    const sql = flatPanels(d).find((p) => p.title === title)!.targets![0]!.rawSql;
    return run(expandGrafanaSql(sql, allSelected(d)), title);
  };

  it('counts the calls refused without a verdict by fallback source', async () => {
    const rows = await panelRows('Calls refused without a verdict');
    const sum = (k: string) => rows.reduce((s, r) => s + Number(r[k]), 0);
    const by = (source: string) => seed.refusedCalls.filter((c) => c.source === source).length;
    expect(sum('fallback_timeout')).toBe(by('fallback_timeout'));
    expect(sum('fallback_unavailable')).toBe(by('fallback_unavailable'));
    expect(sum('fallback_error')).toBe(0);
    expect(by('fallback_timeout') + by('fallback_unavailable')).toBe(2);
  });

  it('lists the calls whose enforced decision differs from the inline one', async () => {
    const rows = await panelRows('Enforced vs inline decision differs');
    expect(
      rows.map((r) => [r.tool_call_id, r.enforced_decision, r.source, r.inline_decision, r.agent_id]).sort(),
    ).toEqual(
      seed.refusedCalls
        .map((c) => [c.toolCallId, 'block', c.source, c.verdictDecision || 'none', 'notes-agent'])
        .sort(),
    );
  });

  it('lists the call that ran and got a stricter verdict after the fact, not the stream verdicts that agree', async () => {
    const rows = await panelRows('Executed, would have been blocked');
    expect(
      rows.map((r) => [r.session_id, r.tool, r.inline_decision, r.stream_decision, r.detectors]),
    ).toEqual([[seed.lateSession.sessionId, 'send_money', 'allow', 'block', 'injection.chain']]);
    // The seed's other stream verdicts (risky-args re-checks) only confirm an allow.
    expect(seed.records.verdicts.filter((v) => v.origin === 'stream').length).toBeGreaterThan(1);
  });
});
