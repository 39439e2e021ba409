import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveScanTargets, targetsFromConfig } from './scan-target.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-targets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveScanTargets', () => {
  it('recognises URLs, scripts, config files and command lines', () => {
    const script = join(dir, 'server.mjs');
    writeFileSync(script, '');
    const config = join(dir, 'mcp.json');
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          local: { command: 'npx', args: ['-y', 'pkg'], env: { A: '1' } },
          remote: { url: 'https://mcp.example.com/sse', type: 'sse', headers: { Authorization: 'Bearer x' } },
          off: { command: 'x', disabled: true },
        },
      }),
    );
    const r = resolveScanTargets(
      ['https://mcp.example.com/mcp', script, config, 'node ./srv.mjs --flag'],
      dir,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.targets.map((t) => [t.kind, t.label])).toEqual([
      ['http', undefined],
      ['stdio', undefined],
      ['stdio', 'local'],
      ['http', 'remote'],
      ['stdio', undefined],
    ]);
    expect(r.targets[1]).toMatchObject({ command: process.execPath, args: [script] });
    expect(r.targets[2]).toMatchObject({ command: 'npx', args: ['-y', 'pkg'], env: { A: '1' }, line: 1 });
    expect(r.targets[3]).toMatchObject({ transport: 'sse', headers: { Authorization: 'Bearer x' } });
    expect(r.targets[4]).toMatchObject({ command: process.execPath, args: ['./srv.mjs', '--flag'] });
  });

  it('reads VS Code style configs and rejects files that are not MCP configs', () => {
    expect(
      targetsFromConfig('vs.json', JSON.stringify({ servers: { a: { type: 'stdio', command: 'a' } } })),
    ).toMatchObject({
      ok: true,
    });
    expect(targetsFromConfig('x.json', JSON.stringify({ other: 1 }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/no "mcpServers"/),
    });
    expect(
      targetsFromConfig('x.json', JSON.stringify({ mcpServers: { a: { url: 'not a url' } } })),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not an MCP client config/),
    });
  });
});
