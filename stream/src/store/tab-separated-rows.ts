/**
 * Rows as ClickHouse `TabSeparated` text, for the embedded store's inserts: cheaper to write than
 * `JSONEachRow` (the `payload` JSON keeps its quotes, only backslashes are doubled; no key per value) and
 * cheaper for the engine to parse. Only values that read back exactly as their `JSONEachRow` form does are
 * written; for anything else the writer answers `undefined` and the caller sends the batch as `JSONEachRow`.
 */
import type { Row } from './store-rows.js';

/**
 * How a column's values are written: what the store's schema uses, nothing more. `fill`: the field text of
 * the column's default when that default is a constant (`DEFAULT ''`, `DEFAULT 0`), so a row that leaves the
 * column out can share a batch with rows that set it.
 */
export type TsvColumnKind = (
  | { kind: 'string' }
  | { kind: 'uint'; max: number }
  | { kind: 'datetime' }
  | { kind: 'strings' }
) & { fill?: string };

const UINT_MAX: Readonly<Record<string, number>> = {
  UInt8: 255,
  UInt16: 65_535,
  UInt32: 4_294_967_295,
  UInt64: Number.MAX_SAFE_INTEGER,
};

/**
 * The kind of a ClickHouse column (its type, default kind and default expression as `system.columns`
 * spells them), or undefined for a type this writer does not handle (such a column's batches go as
 * `JSONEachRow`).
 *
 * @example
 * tsvColumnKind('LowCardinality(String)'); // { kind: 'string' }
 * tsvColumnKind('UInt8', 'DEFAULT', '0'); // { kind: 'uint', max: 255, fill: '0' }
 */
export function tsvColumnKind(
  type: string,
  defaultKind = '',
  defaultExpression = '',
): TsvColumnKind | undefined {
  const kind = baseKind(type);
  if (!kind || defaultKind !== 'DEFAULT') return kind;
  if (kind.kind === 'string' && defaultExpression === "''") return { ...kind, fill: '' };
  if (kind.kind === 'uint' && /^\d{1,15}$/.test(defaultExpression) && Number(defaultExpression) <= kind.max)
    return { ...kind, fill: String(Number(defaultExpression)) };
  return kind;
}

function baseKind(type: string): TsvColumnKind | undefined {
  if (type === 'String' || type === 'LowCardinality(String)') return { kind: 'string' };
  if (type === 'DateTime') return { kind: 'datetime' };
  if (type === 'Array(String)') return { kind: 'strings' };
  const max = UINT_MAX[type];
  return max === undefined ? undefined : { kind: 'uint', max };
}

const needsEscape = /[\\\t\n\r]/;
const toEscape = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const needsQuotedEscape = /[\\'\t\n\r]/;
const toQuotedEscape = /[\\'\t\n\r]/g;
const QUOTED_ESCAPES: Readonly<Record<string, string>> = { ...ESCAPES, "'": "\\'" };

const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** A string field; undefined for a lone surrogate (UTF-8 cannot carry it as `JSONEachRow`'s escape does). */
function stringField(v: string): string | undefined {
  if (!wellFormed(v)) return undefined;
  return needsEscape.test(v) ? v.replace(toEscape, (c) => ESCAPES[c]!) : v;
}

/** `['a','b']`, each element quoted and escaped (the text format of an array inside `TabSeparated`). */
function stringsField(v: readonly unknown[]): string | undefined {
  let out = '[';
  for (let i = 0; i < v.length; i++) {
    const s = v[i];
    if (typeof s !== 'string' || !wellFormed(s)) return undefined;
    if (i > 0) out += ',';
    out += `'${needsQuotedEscape.test(s) ? s.replace(toQuotedEscape, (c) => QUOTED_ESCAPES[c]!) : s}'`;
  }
  return `${out}]`;
}

/** One value as its field text, or undefined when it is not of the column's kind (the batch then goes as JSON). */
function field(v: unknown, c: TsvColumnKind): string | undefined {
  switch (c.kind) {
    case 'string':
      return typeof v === 'string' ? stringField(v) : undefined;
    case 'uint':
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= c.max ? String(v) : undefined;
    case 'datetime':
      // TabSeparated reads a DateTime number only as exactly 10 digits (UInt32 seconds fit).
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= 4_294_967_295
        ? String(v).padStart(10, '0')
        : undefined;
    case 'strings':
      return Array.isArray(v) ? stringsField(v) : undefined;
  }
}

/** Rows written as `TabSeparated` for an insert naming `columns`. */
export interface TsvBatch {
  columns: string[];
  text: string;
  rows: number;
}

/**
 * `rows` as `TabSeparated` text. Rows with different sets of keys share one batch when every column some
 * row leaves out has a constant default (written out, as `JSONEachRow` would store it); otherwise there is
 * one batch per set of keys. Undefined when some value cannot be written so that it reads back exactly as
 * its `JSONEachRow` form would (an unknown column or type, a number out of the column's range, a lone
 * surrogate, `null`, ...).
 *
 * @example
 * tabSeparatedBatches([{ a: 'x', n: 1 }], (c) => kinds.get(c)); // [{ columns: ['a', 'n'], text: 'x\t1\n', rows: 1 }]
 */
export function tabSeparatedBatches(
  rows: readonly Row[],
  kindOf: (column: string) => TsvColumnKind | undefined,
): TsvBatch[] | undefined {
  if (rows.length === 0) return [];
  // Usually every row has the first row's keys: one pass, no per-row key lists.
  const columns = Object.keys(rows[0]!);
  const one = batchText(rows, columns, kindOf, true);
  if (one !== SHAPES_DIFFER)
    return one === undefined ? undefined : [{ columns, text: one, rows: rows.length }];
  const shapes: string[][] = [];
  const shapeOf: number[] = [];
  for (const row of rows) {
    const keys = Object.keys(row);
    let i = shapes.length - 1;
    if (i < 0 || !sameKeys(keys, shapes[i]!)) {
      i = shapes.findIndex((s) => sameKeys(keys, s));
      if (i < 0) i = shapes.push(keys) - 1;
    }
    shapeOf.push(i);
  }
  const union = fillableUnion(shapes, kindOf);
  if (union) {
    const text = batchText(rows, union, kindOf, false);
    return typeof text === 'string' ? [{ columns: union, text, rows: rows.length }] : undefined;
  }
  const out: TsvBatch[] = [];
  for (let i = 0; i < shapes.length; i++) {
    const own = rows.filter((_, r) => shapeOf[r] === i);
    const text = batchText(own, shapes[i]!, kindOf, false);
    if (typeof text !== 'string') return undefined;
    out.push({ columns: shapes[i]!, text, rows: own.length });
  }
  return out;
}

function sameKeys(keys: readonly string[], columns: readonly string[]): boolean {
  if (keys.length !== columns.length) return false;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== columns[i]) return false;
  return true;
}

/** Every column of any shape, when each one some shape lacks has a constant default; else undefined. */
function fillableUnion(
  shapes: readonly string[][],
  kindOf: (column: string) => TsvColumnKind | undefined,
): string[] | undefined {
  const union = [...new Set(shapes.flat())];
  for (const s of shapes) {
    const own = new Set(s);
    for (const c of union) if (!own.has(c) && kindOf(c)?.fill === undefined) return undefined;
  }
  return union;
}

/** What `batchText` answers, in exact mode, for a row whose keys are not exactly `columns`. */
const SHAPES_DIFFER = Symbol('shapes differ');

/**
 * The `TabSeparated` text of `rows` under `columns`, or undefined when a value cannot be written. `exact`:
 * every row must have exactly these keys (else `SHAPES_DIFFER`); otherwise a left-out column takes its
 * constant default (the caller made sure there is one).
 */
function batchText(
  rows: readonly Row[],
  columns: readonly string[],
  kindOf: (column: string) => TsvColumnKind | undefined,
  exact: boolean,
): string | undefined | typeof SHAPES_DIFFER {
  const kinds: TsvColumnKind[] = [];
  for (const c of columns) {
    const kind = kindOf(c);
    if (!kind) return undefined;
    kinds.push(kind);
  }
  const n = columns.length;
  // One string for the batch: appending is cheaper than a string per line joined afterwards.
  let text = '';
  for (const row of rows) {
    if (exact && ownKeyCount(row) !== n) return SHAPES_DIFFER;
    for (let i = 0; i < n; i++) {
      const column = columns[i]!;
      const kind = kinds[i]!;
      const v = row[column];
      let value: string | undefined;
      if (v !== undefined) value = field(v, kind);
      else if (Object.hasOwn(row, column)) return undefined;
      else if (exact) return SHAPES_DIFFER;
      // A key left out keeps the column's default (as in JSONEachRow); only constant defaults get here.
      else value = kind.fill;
      if (value === undefined) return undefined;
      text += i === 0 ? value : `\t${value}`;
    }
    text += '\n';
  }
  return text;
}

/** Enumerable keys of a row (a plain object: all its own), counted without building their list. */
function ownKeyCount(row: Row): number {
  let n = 0;
  for (const _ in row) n++;
  return n;
}
