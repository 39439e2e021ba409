import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run, serverEnvironment } from './proxy.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bulwark-proxy-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command up to its argument check: every case here exits 2 before any server starts. */
async function refused(argv: string[], env: Record<string, string> = {}) {
  const err: string[] = [];
  const code = await run(argv, { err: (l) => void err.push(l), out: () => {}, env });
  return { code, err: err.join('\n') };
}

describe('bulwark proxy arguments', () => {
  it('needs a server: a command after -- or --url with --listen', async () => {
    const r = await refused([]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no server: give its command after "--"/);
  });

  it('lists every problem at once', async () => {
    const r = await refused([
      'stray',
      '--url',
      'ftp://x',
      '--listen',
      '70000',
      '--header',
      'nocolon',
      '--',
      'srv',
    ]);
    expect(r.code).toBe(2);
    for (const m of [
      /unexpected "stray"/,
      /either a server command after "--" or --url, not both/,
      /--url "ftp:\/\/x" is not an http\(s\) URL/,
      /--listen "70000" is not a port/,
      /--header "nocolon" is not "name: value"/,
    ])
      expect(r.err).toMatch(m);
  });

  it('--url and --listen go together', async () => {
    expect((await refused(['--url', 'http://127.0.0.1:1/mcp'])).err).toMatch(
      /--url and --listen go together/,
    );
  });

  it('refuses --policy with --verdict-url, and unreadable or invalid engine files', async () => {
    const withCollector = await refused([
      '--verdict-url',
      'http://127.0.0.1:1',
      '--policy',
      'p.yaml',
      '--',
      'srv',
    ]);
    expect(withCollector.err).toMatch(/apply to the in-process engine/);
    const badLock = path.join(dir, 'lock.json');
    writeFileSync(badLock, '{"not":"a lock"}');
    const files = await refused([
      '--tool-lock',
      badLock,
      '--policy',
      path.join(dir, 'missing.yaml'),
      '--',
      'srv',
    ]);
    expect(files.code).toBe(2);
    expect(files.err).toMatch(/--tool-lock .*lock\.json: /);
    expect(files.err).toMatch(/--policy .*missing\.yaml: cannot read it/);
  });

  it('an unknown option is a usage error', async () => {
    const r = await refused(['--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Run `bulwark proxy --help`/);
  });

  it('gives the server the environment without BULWARK_* settings', () => {
    expect(
      serverEnvironment({ PATH: '/bin', BULWARK_API_KEY: 'k', HOME: undefined as unknown as string }),
    ).toEqual({
      PATH: '/bin',
    });
  });
});
