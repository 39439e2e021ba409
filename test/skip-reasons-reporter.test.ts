import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startVitest } from 'vitest/node';
import { formatSkipped, reasonInName } from './src/vitest/skip-reasons-reporter.js';

const REPORTER = fileURLToPath(new URL('./src/vitest/skip-reasons-reporter.ts', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/skip-reasons/', import.meta.url));

describe('skip reasons in the test summary', () => {
  it('reads the reason out of test and suite names', () => {
    expect(reasonInName('EventStore contract: ClickHouse server (skipped: no server on :8123)')).toBe(
      'no server on :8123',
    );
    expect(reasonInName('skipped: no Kafka broker on 127.0.0.1:9092 (start one)')).toBe(
      'no Kafka broker on 127.0.0.1:9092 (start one)',
    );
    expect(reasonInName('stores events [skipped: no TTL]')).toBe('no TTL');
    expect(reasonInName('stores events')).toBeUndefined();
  });

  it('groups by file and reason and names tests without one', () => {
    expect(
      formatSkipped([
        { file: 'a.test.ts', name: 'x', reason: 'no broker' },
        { file: 'a.test.ts', name: 'y', reason: 'no broker' },
        { file: 'b.test.ts', name: 'z', reason: undefined },
      ]),
    ).toEqual([
      '',
      'Skipped 3 tests:',
      '  a.test.ts (2): no broker',
      '  b.test.ts: "z" (no reason given: use ctx.skip(reason) or name it)',
    ]);
    expect(formatSkipped([])).toEqual([]);
  });

  it('prints every skipped test of a real Vitest run with its reason', async () => {
    const printed: string[] = [];
    const vitest = await startVitest('test', [], {
      root: FIXTURES,
      include: ['*.fixture.ts'],
      watch: false,
      config: false,
      // As vitest.config.ts names it: by path, constructed by Vitest with the options object.
      reporters: [[REPORTER, { write: (t: string) => void printed.push(t) }]],
    });
    await vitest.close();
    const text = printed.join('');
    expect(text).toContain('Skipped 5 tests:');
    expect(text).toContain('skips.fixture.ts (2): no Kafka broker on 127.0.0.1:9092');
    expect(text).toContain('skips.fixture.ts (1): the data set is absent');
    expect(text).toContain('skips.fixture.ts (1): no ClickHouse server at http://127.0.0.1:8123');
    expect(text).toContain('"a test skipped without any reason" (no reason given');
    expect(text).not.toContain('runs');
  }, 60_000);
});
