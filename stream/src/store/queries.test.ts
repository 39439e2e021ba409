import { describe, expect, it } from 'vitest';
import { checkParams, inlineParams, QUERIES, queryParams, sqlString } from './queries.js';

describe('queries', () => {
  it('every query uses FINAL on raw tables or -Merge on aggregates', () => {
    const raw = [
      'events',
      'tool_calls',
      'verdicts',
      'findings',
      'alerts',
      'dead_letters',
      'schema_migrations',
    ];
    // DISTINCT over the ordering key: a duplicate row cannot change the answer, and FINAL is what makes the
    // per-batch existence check slow on old servers.
    const duplicateProof = new Set(['storedSessions']);
    for (const q of Object.values(QUERIES)) {
      if (duplicateProof.has(q.name)) continue;
      for (const t of raw) {
        for (const m of q.sql.matchAll(new RegExp(`FROM ${t}\\b(\\s+FINAL)?`, 'g'))) {
          expect(m[1], `${q.name} reads ${t} without FINAL`).toBeDefined();
        }
      }
    }
  });

  it('escapes string literals for servers without query parameters', () => {
    expect(sqlString("it's")).toBe("'it\\'s'");
    expect(sqlString('a\\b')).toBe("'a\\\\b'");
    expect(sqlString('line\nbreak\u0000')).toBe("'line\\x0abreak\\x00'");
    expect(inlineParams('SELECT {a:String}, {n:UInt32}, {a:String}', { a: "x' OR 1=1 --", n: 7 })).toBe(
      "SELECT 'x\\' OR 1=1 --', 7, 'x\\' OR 1=1 --'",
    );
  });

  it('checks parameters against placeholders and lists every problem', () => {
    const sql = QUERIES.findingsSince.sql;
    expect([...queryParams(sql).keys()].sort()).toEqual(['limit', 'sinceMillis', 'tenantId']);
    expect(checkParams(sql, { sinceMillis: 1, tenantId: '', limit: 5 })).toEqual([]);
    expect(checkParams(sql, { sinceMillis: -1, tenantId: 3, limit: 1.5 })).toEqual([
      'tenantId must be a string',
      'sinceMillis is out of range for UInt64',
      'limit must be an integer (UInt32)',
    ]);
    expect(checkParams(sql, {})).toHaveLength(3);
  });
});
