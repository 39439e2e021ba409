import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChdbDriver } from './chdb-event-store.js';
import type { SqlDriver } from './sql-event-store.js';
import type { Row } from './store-rows.js';
import { type TsvColumnKind, tabSeparatedBatches, tsvColumnKind } from './tab-separated-rows.js';

const KINDS: Record<string, TsvColumnKind | undefined> = {
  s: tsvColumnKind('String'),
  lc: tsvColumnKind('LowCardinality(String)'),
  n: tsvColumnKind('UInt64'),
  b: tsvColumnKind('UInt8'),
  d: tsvColumnKind('DateTime'),
  a: tsvColumnKind('Array(String)'),
  opt: tsvColumnKind('String', 'DEFAULT', "''"),
  flag: tsvColumnKind('UInt8', 'DEFAULT', '0'),
  derived: tsvColumnKind('UInt64', 'DEFAULT', 'n'),
};
const kindOf = (c: string) => KINDS[c];

describe('tsvColumnKind', () => {
  it('knows the types the schema uses, and constant defaults', () => {
    expect(tsvColumnKind('LowCardinality(String)')).toEqual({ kind: 'string' });
    expect(tsvColumnKind('UInt32')).toEqual({ kind: 'uint', max: 4_294_967_295 });
    expect(tsvColumnKind('String', 'DEFAULT', "''")).toEqual({ kind: 'string', fill: '' });
    expect(tsvColumnKind('UInt8', 'DEFAULT', '0')).toEqual({ kind: 'uint', max: 255, fill: '0' });
    // An expression is not a constant: rows that leave such a column out are not merged with others.
    expect(tsvColumnKind('UInt64', 'DEFAULT', 'timestamp_ms')).toEqual({
      kind: 'uint',
      max: Number.MAX_SAFE_INTEGER,
    });
    expect(tsvColumnKind('Nullable(String)')).toBeUndefined();
    expect(tsvColumnKind('DateTime64(3)')).toBeUndefined();
    expect(tsvColumnKind('Float64')).toBeUndefined();
  });
});

describe('tabSeparatedBatches', () => {
  it('escapes strings and arrays, pads DateTime seconds to 10 digits', () => {
    const rows: Row[] = [{ s: 'a\tb\nc\\d\re', lc: "it's", n: 42, b: 1, d: 5, a: ["x'y", 'p\\q', 't\tu'] }];
    expect(tabSeparatedBatches(rows, kindOf)).toEqual([
      {
        columns: ['s', 'lc', 'n', 'b', 'd', 'a'],
        text: "a\\tb\\nc\\\\d\\re\tit's\t42\t1\t0000000005\t['x\\'y','p\\\\q','t\\tu']\n",
        rows: 1,
      },
    ]);
  });

  it('answers undefined (send as JSONEachRow) for what TabSeparated cannot carry the same way', () => {
    const bad: Row[] = [
      { s: null },
      { s: 1 },
      { s: 'lone \ud800 surrogate' },
      { a: ['ok', '\udc00'] },
      { a: [1] },
      { n: -1 },
      { n: 1.5 },
      { n: Number.NaN },
      { n: 2 ** 60 },
      { b: 256 },
      { d: 4_294_967_296 },
      { d: '2026-01-01 00:00:00' },
      { s: undefined },
      { unknown: 'x' },
      { s: { nested: true } },
    ];
    for (const row of bad)
      expect(tabSeparatedBatches([{ s: 'fine' }, row], kindOf), JSON.stringify(row)).toBeUndefined();
  });

  it('merges rows that leave out columns with a constant default, writing the default', () => {
    const rows: Row[] = [
      { s: 'a', n: 1 },
      { s: 'b', n: 2, opt: 'set', flag: 1 },
      { s: 'c', n: 3 },
    ];
    expect(tabSeparatedBatches(rows, kindOf)).toEqual([
      { columns: ['s', 'n', 'opt', 'flag'], text: 'a\t1\t\t0\nb\t2\tset\t1\nc\t3\t\t0\n', rows: 3 },
    ]);
  });

  it('splits rows by their keys when a left-out column has no constant default', () => {
    const rows: Row[] = [
      { s: 'a', n: 1, derived: 7 },
      { s: 'b', n: 2 },
      { s: 'c', n: 3, derived: 8 },
    ];
    expect(tabSeparatedBatches(rows, kindOf)).toEqual([
      { columns: ['s', 'n', 'derived'], text: 'a\t1\t7\nc\t3\t8\n', rows: 2 },
      { columns: ['s', 'n'], text: 'b\t2\n', rows: 1 },
    ]);
  });
});

describe('TabSeparated and JSONEachRow store the same values (chdb)', () => {
  let dir: string;
  let driver: SqlDriver;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bulwark-tsv-'));
    driver = await openChdbDriver({ dataDir: dir, database: 'tsv_test' });
    await driver.command(
      [
        'CREATE TABLE t (k String, s String, lc LowCardinality(String), n UInt64, b UInt8, d DateTime,',
        "a Array(String), opt String DEFAULT '', flag UInt8 DEFAULT 0) ENGINE = MergeTree ORDER BY k",
      ].join(' '),
    );
  });
  afterAll(async () => {
    await driver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a first row that reads like a header of column names and types', async () => {
    await driver.command('CREATE TABLE h (name String, type String) ENGINE = MergeTree ORDER BY tuple()');
    const rows = [
      { name: 'name', type: 'type' },
      { name: 'String', type: 'String' },
      { name: 'x', type: 'y' },
    ];
    await driver.insert('h', rows);
    expect(await driver.select('SELECT name, type FROM h', {})).toEqual(rows);
  });

  it('reads back every awkward value identically', async () => {
    const texts = [
      '',
      'plain',
      'tab\there',
      'nl\nhere',
      'cr\rhere',
      'back\\slash \\n \\t \\N',
      `it's "quoted"`,
      'nul\u0000byte',
      '\b\f\v\u001f\u007f',
      'é ünï 日本 🎉 \u2028',
      '[1,2]',
      "'\\'",
    ];
    const rows = (prefix: string): Row[] =>
      texts.map((t, i) => ({
        k: `${prefix}${String(i).padStart(2, '0')}`,
        s: t,
        lc: texts[(i + 3) % texts.length],
        n: [0, 1, Number.MAX_SAFE_INTEGER][i % 3],
        b: i % 2,
        d: [0, 1, 59, 1970, 86_400, 1_764_700_000, 4_294_967_295][i % 7],
        a: i % 4 === 0 ? [] : [t, `x${t}`],
        ...(i % 2 === 0 ? { opt: t, flag: 1 } : {}),
      }));
    // `insert` picks TabSeparated for these rows; the JSONEachRow copy goes through a plain INSERT statement.
    // The shared kinds plus the key column; this table has no derived column.
    const known: Record<string, TsvColumnKind | undefined> = {
      ...KINDS,
      k: tsvColumnKind('String'),
      derived: undefined,
    };
    const tsv = tabSeparatedBatches(rows('t'), (c) => known[c]);
    expect(tsv).toHaveLength(1);
    await driver.insert('t', rows('t'));
    const json = rows('j')
      .map((r) => JSON.stringify(r))
      .join('\n');
    await driver.command(`INSERT INTO t FORMAT JSONEachRow ${json}`);
    const read = async (prefix: string) =>
      (
        await driver.select(
          `SELECT substring(k, 2) AS i, s, lc, n, b, toUnixTimestamp(d) AS d, a, opt, flag, hex(s) AS h FROM t WHERE startsWith(k, '${prefix}') ORDER BY k`,
          {},
        )
      ).map((r) => JSON.stringify(r));
    const viaTsv = await read('t');
    expect(viaTsv).toHaveLength(texts.length);
    expect(viaTsv).toEqual(await read('j'));
  });
});
