import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { routeFor } from './commands/serve-api.js';
import { readServeLock, SERVE_LOCK_FILE, writeServeLock } from './serve-lock-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-serve-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const chdb = (dataDir: string) =>
  ({ store: 'chdb', dataDir, database: 'bulwark' }) as Parameters<typeof routeFor>[0];

describe('serve lock file', () => {
  it('names the live serve; readers route through its API; removed on release', () => {
    const release = writeServeLock(dir, 'http://127.0.0.1:4999');
    expect(readServeLock(dir)).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:4999' });
    expect(routeFor(chdb(dir), undefined, { BULWARK_API_KEY: 'k' })).toMatchObject({
      via: 'serve',
      url: 'http://127.0.0.1:4999',
      apiKey: 'k',
    });
    release();
    expect(existsSync(path.join(dir, SERVE_LOCK_FILE))).toBe(false);
    expect(routeFor(chdb(dir), undefined, {})).toEqual({ via: 'store' });
  });

  it('a file left by a dead serve, or garbage, is ignored', () => {
    writeFileSync(path.join(dir, SERVE_LOCK_FILE), JSON.stringify({ pid: 123456, url: 'http://x' }));
    expect(readServeLock(dir, () => false)).toBeUndefined();
    writeFileSync(path.join(dir, SERVE_LOCK_FILE), 'not json');
    expect(readServeLock(dir)).toBeUndefined();
  });

  it('--url always goes through serve, BULWARK_VERDICT_URL is the default address', () => {
    expect(routeFor(chdb(path.join(dir, 'none')), 'http://h:1/', {})).toMatchObject({ url: 'http://h:1' });
    const server = { ...chdb(dir), store: 'server' } as Parameters<typeof routeFor>[0];
    expect(routeFor(server, undefined, {})).toEqual({ via: 'store' });
  });
});
