import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../src/commands/scan.js';
import type { ScanReport } from '../src/scan/scan-report.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'mcp-servers');
const fixture = (name: string) => join(FIXTURES, name);
const require = createRequire(import.meta.url);
/** JS entry of an installed npm MCP server (spawned with this Node: no network, no npx). */
const serverEntry = (pkg: string) =>
  join(dirname(require.resolve(`${pkg}/package.json`)), 'dist', 'index.js');

async function scan(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await run(argv);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

async function scanJson(...argv: string[]): Promise<{ code: number; report: ScanReport; stderr: string }> {
  const r = await scan(...argv, '--json');
  return { code: r.code, report: JSON.parse(r.stdout) as ScanReport, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-scan-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bulwark scan: real npm MCP servers', () => {
  it('reports no poisoning for server-everything, server-filesystem (temp dir) and server-memory', async () => {
    const root = mkdtempSync(join(dir, 'fs-root-'));
    writeFileSync(join(root, 'hello.txt'), 'hi');
    const config = join(dir, 'mcp.json');
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          everything: {
            command: process.execPath,
            args: [serverEntry('@modelcontextprotocol/server-everything'), 'stdio'],
          },
          filesystem: {
            command: process.execPath,
            args: [serverEntry('@modelcontextprotocol/server-filesystem'), root],
          },
          memory: {
            command: process.execPath,
            args: [serverEntry('@modelcontextprotocol/server-memory')],
            env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
          },
        },
      }),
    );
    const { code, report } = await scanJson(config);
    expect(report.errors).toEqual([]);
    expect(report.servers.map((s) => s.label).sort()).toEqual(['everything', 'filesystem', 'memory']);
    expect(report.servers.every((s) => s.tools > 0)).toBe(true);
    // The everything server has prompts and resources; the scan lists them too.
    const everything = report.servers.find((s) => s.label === 'everything');
    expect(everything?.prompts).toBeGreaterThan(0);
    expect(everything?.resources).toBeGreaterThan(0);
    const attacks = report.findings.filter((f) =>
      ['poisoning', 'hidden-text', 'schema-side-channel', 'shadowing'].includes(f.category),
    );
    expect(attacks).toEqual([]);
    expect(report.findings.filter((f) => f.severity === 'high' || f.severity === 'critical')).toEqual([]);
    // Capabilities are reported for review, at low/info.
    expect(report.findings.some((f) => f.ruleId === 'risky-capability.filesystem')).toBe(true);
    expect(code).toBe(0);
  });
});

describe('bulwark scan: fixture servers', () => {
  it('catches direct poisoning (exit 1) and points at the description', async () => {
    const { code, report } = await scanJson(`node ${fixture('poisoned-server.mjs')}`);
    expect(code).toBe(1);
    const add = report.findings.filter((f) => f.toolName === 'add' && f.category === 'poisoning');
    expect(add.map((f) => f.ruleId)).toEqual(
      expect.arrayContaining(['poisoning.sensitive-data', 'poisoning.concealment']),
    );
    expect(add[0]?.evidence[0]?.excerpt).toContain('~/.ssh/id_rsa');
    expect(
      report.findings.filter(
        (f) => f.toolName === 'subtract' && f.severity !== 'low' && f.severity !== 'info',
      ),
    ).toEqual([]);
  });

  it('catches shadowing across two servers scanned together, and names the victim tool', async () => {
    const { code, report } = await scanJson(fixture('mail-server.mjs'), fixture('shadowing-server.mjs'));
    expect(code).toBe(1);
    const shadow = report.findings.find((f) => f.category === 'shadowing');
    expect(shadow).toMatchObject({ server: 'daily-facts', toolName: 'get_fact_of_the_day' });
    expect(shadow?.related).toEqual(['mail/send_email']);
    expect(
      report.findings.filter((f) => f.server === 'mail' && ['high', 'critical'].includes(f.severity)),
    ).toEqual([]);
  });

  it('catches a definition that changes after the first listing (rug pull in one session)', async () => {
    const { code, report } = await scanJson(fixture('rug-pull-server.mjs'));
    expect(code).toBe(1);
    const drift = report.findings.find((f) => f.ruleId === 'rug-pull.changed');
    expect(drift).toMatchObject({ server: 'weather', toolName: 'get_forecast', severity: 'high' });
    // The changed text itself is scanned too.
    expect(report.findings.some((f) => f.toolName === 'get_forecast' && f.category === 'poisoning')).toBe(
      true,
    );
  });

  it('prints a readable table by default', async () => {
    const { code, stdout } = await scan(fixture('poisoned-server.mjs'), '--min-severity', 'high');
    expect(code).toBe(1);
    expect(stdout).toMatch(/Scanned 1 server\(s\):/);
    expect(stdout).toMatch(/CRITICAL +poisoning +calc-helper\/add/);
    expect(stdout).toMatch(/FAIL: findings at or above high/);
  });

  it('honours --fail-on', async () => {
    expect((await scan(fixture('mail-server.mjs'), '--json')).code).toBe(0);
    // send_email is a network capability (low): failing on low makes the same scan fail.
    expect((await scan(fixture('mail-server.mjs'), '--json', '--fail-on', 'low')).code).toBe(1);
  });

  it('writes SARIF 2.1.0 with rules, levels and the config file as location', async () => {
    const config = join(dir, 'claude_desktop_config.json');
    writeFileSync(
      config,
      JSON.stringify(
        { mcpServers: { calc: { command: process.execPath, args: [fixture('poisoned-server.mjs')] } } },
        null,
        2,
      ),
    );
    const { code, stdout } = await scan(config, '--sarif');
    expect(code).toBe(1);
    const sarif = JSON.parse(stdout);
    expect(sarif.version).toBe('2.1.0');
    const runObj = sarif.runs[0];
    const ruleIds = runObj.tool.driver.rules.map((r: { id: string }) => r.id);
    expect(ruleIds).toContain('poisoning.sensitive-data');
    const result = runObj.results.find((r: { ruleId: string }) => r.ruleId === 'poisoning.sensitive-data');
    expect(result.level).toBe('error');
    expect(runObj.tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
    expect(result.message.text).toContain('calc/add');
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toMatch(/claude_desktop_config\.json$/);
    expect(result.locations[0].physicalLocation.region.startLine).toBe(3);
    expect(result.locations[0].logicalLocations[0].fullyQualifiedName).toBe('calc/add');
  });
});

/** Starts the HTTP fixture and resolves with its URL. */
function startHttpFixture(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [fixture('http-server.mjs'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /LISTENING (\S+)/.exec(buf);
      if (m?.[1]) resolve({ url: m[1], child });
    });
    child.on('exit', (c) => reject(new Error(`http fixture exited with ${c}`)));
  });
}

describe('bulwark scan: remote servers', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill();
  });

  it('scans a Streamable HTTP URL and flags that it answers without authentication', async () => {
    const { url, child } = await startHttpFixture([]);
    children.push(child);
    const { code, report } = await scanJson(url);
    expect(report.servers[0]).toMatchObject({
      label: 'remote-notes',
      transport: 'streamable-http',
      unauthenticated: true,
    });
    const f = report.findings.find((x) => x.ruleId === 'risky-capability.unauthenticated-remote');
    expect(f?.severity).toBe('medium');
    expect(code).toBe(0);
    expect((await scan(url, '--json', '--fail-on', 'medium')).code).toBe(1);
  });

  it('falls back to the HTTP+SSE transport', async () => {
    const { url, child } = await startHttpFixture(['--sse']);
    children.push(child);
    const { report } = await scanJson(url);
    expect(report.errors).toEqual([]);
    expect(report.servers[0]).toMatchObject({ transport: 'sse', tools: 1 });
  });

  it('does not flag a server that requires the configured credentials; fails clearly without them', async () => {
    const { url, child } = await startHttpFixture([], { AUTH_TOKEN: 's3cret' });
    children.push(child);
    const config = join(dir, 'remote.json');
    writeFileSync(
      config,
      JSON.stringify({ mcpServers: { notes: { url, headers: { Authorization: 'Bearer s3cret' } } } }),
    );
    const ok = await scanJson(config);
    expect(ok.report.servers[0]).toMatchObject({ label: 'notes', unauthenticated: false });
    expect(ok.report.findings.some((f) => f.ruleId === 'risky-capability.unauthenticated-remote')).toBe(
      false,
    );
    const denied = await scan(url, '--json');
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/cannot connect to http:\/\/127\.0\.0\.1:\d+\/mcp/);
  });
});

describe('bulwark scan: bad input', () => {
  it('exits 2 with a clear message', async () => {
    expect(await scan()).toMatchObject({ code: 2, stderr: expect.stringMatching(/no target given/) });
    expect(await scan(fixture('mail-server.mjs'), '--fail-on', 'severe')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--fail-on must be one of/),
    });
    expect(await scan(fixture('mail-server.mjs'), '--json', '--sarif')).toMatchObject({ code: 2 });
    expect(await scan(fixture('mail-server.mjs'), '--bogus')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/Unknown option/),
    });
    expect(await scan('"unterminated')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unterminated/),
    });
    expect(await scan('https://')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/not a valid URL/),
    });
  });

  it('exits 2 when a server cannot be started, naming the command and its stderr', async () => {
    const missing = join(dir, 'does-not-exist.mjs');
    const r = await scan(`node ${missing}`, '--json', '--timeout-millis', '10000');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot start or talk to/);
    expect(r.stderr).toMatch(/does-not-exist\.mjs/);
    const nope = await scan('definitely-not-a-command-bulwark', '--json', '--timeout-millis', '5000');
    expect(nope.code).toBe(2);
  });

  it('the table of a scan whose server failed to start says so, never "OK"', async () => {
    const missing = join(dir, 'does-not-exist.mjs');
    const r = await scan(`node ${missing}`, '--timeout-millis', '10000');
    expect(r.code).toBe(2);
    expect(r.stdout).not.toMatch(/\bOK\b/);
    expect(r.stdout).not.toContain('No findings');
    expect(r.stdout).toContain('ERROR: no server could be scanned (1 target(s) failed)');
    // With one good server beside it, the failure is still the last word.
    const both = await scan(
      `node ${missing}`,
      `node ${fixture('mail-server.mjs')}`,
      '--timeout-millis',
      '10000',
    );
    expect(both.code).toBe(2);
    expect(both.stdout).toContain('Scanned 1 of 2 target(s); 1 could not be scanned');
    expect(both.stdout).not.toMatch(/^OK/m);
    expect(both.stdout.trim().split('\n').at(-1)).toMatch(/^ERROR: 1 of 2 target\(s\) could not be scanned/);
  });

  it('exits 2 for a config file that is not an MCP config, with the reason', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ mcpServers: { x: { args: ['no command'] } } }));
    const r = await scan(bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not an MCP client config/);
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{ "mcpServers": ');
    expect((await scan(notJson)).stderr).toMatch(/not valid JSON/);
  });
});
