import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './hunt.js';

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
