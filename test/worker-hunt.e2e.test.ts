// `bulwark hunt` end to end on a real chdb data directory: the CLI command module, its arguments, its output.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runHunt as run } from '@bulwark/cli';
import { parseSince } from '@bulwark/collector';
import { ChdbEventStore } from '@bulwark/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIVE_POLICY_FILE, seedHuntStore } from '../stream/test/fixtures/seed-hunt-store.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-hunt-cli-'));
const now = Date.now();

async function hunt(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env, now: () => now });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  const store = await ChdbEventStore.open({ dataDir });
  await seedHuntStore(store, 'acme', now);
  await store.shutdown();
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('bulwark hunt', () => {
  it('reports the injection chain the inline policy allowed (text)', async () => {
    const r = await hunt(['--since', '24h', '--data-dir', dataDir]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('2 session(s) active since');
    expect(r.out).toContain('1 on calls the inline decision let run');
    expect(r.out).toMatch(/acme \/ attack \(agent agent-1\)/);
    expect(r.out).toMatch(/! injection\.chain block \(inline: allow\) send_money/);
    expect(r.out).not.toContain('benign');
  });

  it('prints JSON with --json and reads the store settings from BULWARK_* env', async () => {
    const r = await hunt(['--since', new Date(now - 86_400_000).toISOString(), '--json'], {
      BULWARK_DATA_DIR: dataDir,
    });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report).toMatchObject({ sessionsScanned: 2, sessionsWithHits: 1, missedInline: 1 });
    expect(report.sessions[0].hits.find((h: { missedInline: boolean }) => h.missedInline)).toMatchObject({
      detectorId: 'injection.chain',
      toolName: 'send_money',
      inlineDecision: 'allow',
    });
  });

  it('--policy runs the detectors with that policy (the permissive one stops nothing)', async () => {
    const r = await hunt([
      '--since',
      '7d',
      '--data-dir',
      dataDir,
      '--json',
      '--policy',
      fileURLToPath(PERMISSIVE_POLICY_FILE),
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).missedInline).toBe(0);
  });

  it('lists every bad argument at once and exits 2', async () => {
    const r = await hunt([
      '--since',
      'yesterday',
      '--limit',
      'lots',
      '--store',
      'mysql',
      '--data-dir',
      dataDir,
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--since "yesterday" is neither an ISO time');
    expect(r.err).toContain('--limit "lots" must be a positive whole number');
    expect(r.err).toContain('store (BULWARK_STORE)');
    expect((await hunt([])).err).toContain('--since is required');
    expect((await hunt(['--frobnicate'])).code).toBe(2);
    expect((await hunt(['--help'])).out).toContain('usage: bulwark hunt');
  });

  it('rejects a bad policy file with its problems (exit 2)', async () => {
    const bad = path.join(dataDir, 'bad-policy.yaml');
    writeFileSync(bad, 'injection:\n  chain: maybe\nunknownKey: 1\n');
    const r = await hunt(['--since', '24h', '--data-dir', dataDir, '--policy', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--policy .*bad-policy\.yaml: .*injection\.chain/);
    const missing = await hunt([
      '--since',
      '24h',
      '--data-dir',
      dataDir,
      '--policy',
      path.join(dataDir, 'nope.yaml'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('cannot read it');
  });

  it('exits 1 with a clear message when the store cannot be reached', async () => {
    const r = await hunt(['--since', '24h', '--store', 'server', '--clickhouse-url', 'http://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot reach the ClickHouse server at http://127.0.0.1:1');
    expect(r.err).toContain('--clickhouse-url');
  }, 30_000);

  it('parses --since as ISO time or a duration', () => {
    expect(parseSince('90m', 10_000_000)).toEqual({ ok: true, millis: 10_000_000 - 90 * 60_000 });
    expect(parseSince('2w', 2e9)).toEqual({ ok: true, millis: 2e9 - 14 * 86_400_000 });
    expect(parseSince('2025-01-31T12:00:00Z', 0)).toEqual({
      ok: true,
      millis: Date.parse('2025-01-31T12:00:00Z'),
    });
    expect(parseSince('24', 0).ok).toBe(false);
    expect(parseSince('2025-13-45', 0).ok).toBe(false);
  });
});
