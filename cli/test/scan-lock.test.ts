import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseToolLock } from '@bulwark/detectors';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../src/commands/scan.js';
import type { ScanReport } from '../src/scan/scan-report.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'mcp-servers');

async function scan(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    return { code: await run(argv), stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-lock-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bulwark scan --pin / --lock', () => {
  it('pins a clean server, then catches the rug pull on a later scan with --lock', async () => {
    const state = join(dir, 'rug-state');
    const config = join(dir, 'mcp.json');
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          weather: {
            command: process.execPath,
            args: [join(FIXTURES, 'rug-pull-server.mjs')],
            env: { RUG_PULL_STATE_FILE: state },
          },
          mail: { command: process.execPath, args: [join(FIXTURES, 'mail-server.mjs')] },
        },
      }),
    );
    const lock = join(dir, 'bulwark.lock.json');

    // First run: the server looks clean; pin it.
    const pinned = await scan(config, '--pin', '--lock', lock, '--json');
    expect(pinned.stderr).toBe('');
    expect(pinned.code).toBe(0);
    expect(existsSync(lock)).toBe(true);
    const parsed = parseToolLock(readFileSync(lock, 'utf8'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.lock.servers.map((s) => s.identity.name).sort()).toEqual(['mail', 'weather']);
    expect(parsed.lock.servers.find((s) => s.identity.name === 'weather')?.tools.map((t) => t.name)).toEqual([
      'get_alerts',
      'get_forecast',
    ]);

    // Later run: the same server now serves a changed description; the lock shows the drift.
    const later = await scan(config, '--lock', lock, '--json');
    expect(later.code).toBe(1);
    const report = JSON.parse(later.stdout) as ScanReport;
    expect(report.lock).toMatchObject({ mode: 'compared' });
    const drift = report.findings.filter((f) => f.ruleId === 'rug-pull.changed');
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({ server: 'weather', toolName: 'get_forecast', severity: 'high' });
    expect(drift[0]?.configFile).toBe(config);
    // Nothing else drifted.
    expect(report.findings.filter((f) => f.category === 'rug-pull' && f.toolName !== 'get_forecast')).toEqual(
      [],
    );
  });

  it('reports tools and servers missing from the lock', async () => {
    const lock = join(dir, 'partial.lock.json');
    expect((await scan(join(FIXTURES, 'mail-server.mjs'), '--pin', '--lock', lock, '--json')).code).toBe(0);
    const r = await scan(
      join(FIXTURES, 'mail-server.mjs'),
      join(FIXTURES, 'poisoned-server.mjs'),
      '--lock',
      lock,
      '--json',
    );
    const report = JSON.parse(r.stdout) as ScanReport;
    expect(report.findings.find((f) => f.ruleId === 'rug-pull.unpinned')).toMatchObject({
      server: 'calc-helper',
      severity: 'medium',
    });
  });

  it('refuses a missing or invalid lock file with exit 2 and every issue', async () => {
    const missing = await scan(join(FIXTURES, 'mail-server.mjs'), '--lock', join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist \(create it with --pin first\)/);
    const bad = join(dir, 'bad.lock.json');
    writeFileSync(
      bad,
      JSON.stringify({ version: 1, createdAt: 'x', servers: [{ identity: {}, tools: [{ name: 'a' }] }] }),
    );
    const r = await scan(join(FIXTURES, 'mail-server.mjs'), '--lock', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/servers\[0\]\.identity\.name/);
    expect(r.stderr).toMatch(/servers\[0\]\.tools\[0\]\.hash/);
  });
});
