import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AgentEventSchema } from '@bulwark/contracts';
import { ChdbEventStore, type HuntReport } from '@bulwark/stream';
import { afterAll, describe, expect, it } from 'vitest';
import { formatReport, run } from './hunt.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-hunt-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} } };
}

describe('bulwark hunt on a store that does not exist', () => {
  it('a mistyped --data-dir exits 2 with what to do, creates nothing and prints no all-clear', async () => {
    const typo = path.join(dir, '.bulwark-dta');
    const c = capture();
    expect(await run(['--since', '24h', '--data-dir', typo], c.io)).toBe(2);
    expect(c.out).toEqual([]);
    const text = c.err.join('\n');
    expect(text).toContain(`no event store: ${typo} does not exist`);
    expect(text).toContain('Pass the collector');
    expect(existsSync(typo)).toBe(false);
  });

  it('a ClickHouse server without the database exits 2; an unreachable one exits 1', async () => {
    const queries: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        queries.push(`${req.url} ${body}`);
        res.writeHead(200).end('0\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const c = capture();
      const code = await run(
        ['--since', '1h', '--store', 'server', '--clickhouse-url', url, '--database', 'bulwrk'],
        c.io,
      );
      expect(code).toBe(2);
      expect(c.err.join('\n')).toContain('has no Bulwark database "bulwrk"');
      // Only the read-only existence check was sent: no CREATE DATABASE.
      expect(queries).toHaveLength(1);
      expect(queries[0]).toContain('system.tables');
      expect(queries[0]).toContain('param_db=bulwrk');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const d = capture();
    expect(await run(['--since', '1h', '--store', 'server', '--clickhouse-url', url], d.io)).toBe(1);
    expect(d.err.join('\n')).toContain(`cannot reach the ClickHouse server at ${url}`);
  });
});

describe('bulwark hunt lists the calls refused without a verdict', () => {
  const t0 = Date.UTC(2025, 0, 31, 12, 0, 7);
  const call = (toolCallId: string, at: number, extra: Record<string, unknown>) =>
    AgentEventSchema.parse({
      kind: 'tool_call',
      eventId: `e-${toolCallId}`,
      tenantId: 'acme',
      sessionId: 'sess-refused',
      agentName: 'notes-agent',
      timestampMillis: at,
      toolCallId,
      toolName: 'add_note',
      arguments: { text: toolCallId },
      ...extra,
    });

  it('prints one line per refused call with time, session, agent name, tool, source and the late verdict', async () => {
    const dataDir = path.join(dir, 'refused-store');
    const store = await ChdbEventStore.open({ dataDir });
    try {
      const events = [
        call('c-timeout', t0, {
          enforced: {
            decision: 'block',
            source: 'fallback_timeout',
            reason: 'no verdict within 500 ms',
            inlineDecision: 'allow',
          },
        }),
        call('c-ok', t0 + 1_000, {
          enforced: { decision: 'allow', source: 'verdict', verdictDecision: 'allow' },
        }),
        call('c-down', t0 + 2_000, { enforced: { decision: 'block', source: 'fallback_unavailable' } }),
      ];
      expect(store.appendEvents(events).ok).toBe(true);
      await store.forceFlush();
    } finally {
      await store.shutdown();
    }
    const c = capture();
    const code = await run(['--since', '2025-01-31T00:00:00Z', '--data-dir', dataDir], {
      ...c.io,
      now: () => t0 + 60_000,
    });
    expect(c.err).toEqual([]);
    expect(code).toBe(0);
    const text = c.out.join('\n');
    expect(text).toContain(
      "2 call(s) refused without a verdict (the agent's fallback: fallback_timeout 1, fallback_unavailable 1)",
    );
    const lines = c.out.filter((l) => l.startsWith('  x '));
    expect(lines).toEqual([
      '  x 2025-01-31 12:00:09 UTC acme / sess-refused (agent notes-agent) add_note: block by fallback_unavailable (no verdict recorded), differs',
      '  x 2025-01-31 12:00:07 UTC acme / sess-refused (agent notes-agent) add_note: block by fallback_timeout (verdict later: allow), differs: no verdict within 500 ms',
    ]);
    // The JSON carries the same list.
    const j = capture();
    expect(await run(['--since', '2025-01-31T00:00:00Z', '--data-dir', dataDir, '--json'], j.io)).toBe(0);
    const report = JSON.parse(j.out.join('\n')) as HuntReport;
    expect(report.refusedCalls?.map((r) => [r.toolCallId, r.agentName])).toEqual([
      ['c-down', 'notes-agent'],
      ['c-timeout', 'notes-agent'],
    ]);
  });

  it('names the agent of a session by its name, with the id beside it when both differ', () => {
    const lines = formatReport({
      sinceMillis: t0,
      sessionsScanned: 1,
      sessionsWithHits: 1,
      hits: 1,
      missedInline: 0,
      refusedWithoutVerdict: { total: 0, bySource: {} },
      sessions: [
        {
          tenantId: 'acme',
          sessionId: 's1',
          agentId: 'a-7',
          agentName: 'travel-agent',
          events: 3,
          toolCalls: 1,
          hits: [{ detectorId: 'd', decision: 'alert', severity: 'low', title: 'x', missedInline: false }],
        },
      ],
    });
    expect(lines).toContain('acme / s1 (agent travel-agent (id a-7)): 3 events, 1 tool calls');
    expect(lines.join('\n')).not.toContain('refused');
  });
});
