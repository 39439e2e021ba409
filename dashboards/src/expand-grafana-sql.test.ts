// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana's ${var} syntax is the subject of these tests.
import { describe, expect, it } from 'vitest';
import { GrafanaSqlError } from './errors.js';
import { expandGrafanaSql, type GrafanaQueryContext } from './expand-grafana-sql.js';

const from = Date.UTC(2025, 0, 31, 10, 0, 0);
const to = Date.UTC(2025, 0, 31, 12, 30, 0);

function ctx(variables: GrafanaQueryContext['variables'] = {}, intervalMillis = 60_000): GrafanaQueryContext {
  return { fromMillis: from, toMillis: to, intervalMillis, variables };
}

describe('expandGrafanaSql: template variables (Grafana front end)', () => {
  const multi = { tenant: { value: ['acme', "glo'bex"] } };
  const single = { tenant: { value: 'acme' } };

  it('formats ${v:singlequote} with escaped quotes, single and multi', () => {
    expect(expandGrafanaSql('x IN (${tenant:singlequote})', ctx(multi))).toBe("x IN ('acme','glo\\'bex')");
    expect(expandGrafanaSql('x = ${tenant:singlequote}', ctx(single))).toBe("x = 'acme'");
  });

  it("uses the plugin's own formatter for $v and ${v}: arrays quoted, single values raw", () => {
    expect(expandGrafanaSql('x IN ($tenant)', ctx(multi))).toBe("x IN ('acme','glo'bex')");
    expect(expandGrafanaSql('x IN (${tenant})', ctx({ tenant: { value: ['acme'] } }))).toBe("x IN ('acme')");
    expect(expandGrafanaSql("x = '$tenant'", ctx(single))).toBe("x = 'acme'");
    expect(expandGrafanaSql("x = '[[tenant]]'", ctx(single))).toBe("x = 'acme'");
  });

  it('inserts a custom all value as is, whatever the format', () => {
    const all = { tenant: { value: ['$__all'], allValue: "'__all'", options: ['a', 'b'] } };
    expect(
      expandGrafanaSql("('__all' IN (${tenant:singlequote}) OR t IN (${tenant:singlequote}))", ctx(all)),
    ).toBe("('__all' IN ('__all') OR t IN ('__all'))");
    expect(expandGrafanaSql('${tenant:text}', ctx(all))).toBe('All');
  });

  it('expands All without a custom all value to every option', () => {
    const all = { tenant: { value: '$__all', options: ['a', 'b'] } };
    expect(expandGrafanaSql('t IN (${tenant:singlequote})', ctx(all))).toBe("t IN ('a','b')");
    expect(expandGrafanaSql('t IN ($tenant)', ctx(all))).toBe("t IN ('a','b')");
  });

  it('supports the other SQL-safe formats', () => {
    expect(expandGrafanaSql('${tenant:sqlstring}', ctx(multi))).toBe("'acme','glo''bex'");
    expect(expandGrafanaSql('${tenant:csv}', ctx(multi))).toBe("acme,glo'bex");
    expect(expandGrafanaSql('${tenant:doublequote}', ctx(single))).toBe('"acme"');
    expect(() => expandGrafanaSql('${tenant:regex}', ctx(single))).toThrow(GrafanaSqlError);
  });

  it('knows Grafana globals and refuses unknown variables', () => {
    expect(expandGrafanaSql('${__from} ${__to} $__interval_ms', ctx())).toBe(`${from} ${to} 60000`);
    expect(() => expandGrafanaSql('x = $nope', ctx())).toThrow(/unknown template variable \$nope/);
  });

  it('applies $__conditionalAll before the variables', () => {
    const sql = 'WHERE $__conditionalAll(t IN (${tenant:singlequote}), $tenant)';
    expect(expandGrafanaSql(sql, ctx({ tenant: { value: ['$__all'] } }))).toBe('WHERE 1=1');
    expect(expandGrafanaSql(sql, ctx(multi))).toBe("WHERE t IN ('acme','glo\\'bex')");
  });
});

describe('expandGrafanaSql: ClickHouse plugin macros (back end)', () => {
  const f = Math.floor(from / 1000);
  const t = Math.floor(to / 1000);

  it('expands the time filters in UTC', () => {
    expect(expandGrafanaSql('WHERE $__timeFilter(event_time)', ctx())).toBe(
      `WHERE event_time >= toDateTime(${f}) AND event_time <= toDateTime(${t})`,
    );
    expect(expandGrafanaSql('$__timeFilter_ms(ts)', ctx())).toBe(
      `ts >= fromUnixTimestamp64Milli(${from}) AND ts <= fromUnixTimestamp64Milli(${to})`,
    );
    expect(expandGrafanaSql('$__dateFilter(d)', ctx())).toBe(
      "d >= toDate('2025-01-31') AND d <= toDate('2025-01-31')",
    );
    expect(expandGrafanaSql('$__dt(d, t)', ctx())).toBe(
      `(d >= toDate('2025-01-31') AND d <= toDate('2025-01-31')) AND (t >= toDateTime(${f}) AND t <= toDateTime(${t}))`,
    );
    expect(expandGrafanaSql('$__fromTime, $__toTime, $__fromTime_ms', ctx())).toBe(
      `toDateTime(${f}), toDateTime(${t}), fromUnixTimestamp64Milli(${from})`,
    );
  });

  it('expands the interval macros (at least one second)', () => {
    expect(expandGrafanaSql('$__timeInterval(minute)', ctx({}, 300_000))).toBe(
      'toStartOfInterval(toDateTime(minute), INTERVAL 300 second)',
    );
    expect(expandGrafanaSql('$__interval_s', ctx({}, 250))).toBe('1');
    expect(expandGrafanaSql('$__timeInterval_ms(ts)', ctx({}, 250))).toBe(
      'toStartOfInterval(toDateTime64(ts, 3), INTERVAL 250 millisecond)',
    );
  });

  it('keeps nested parentheses and quoted commas inside one argument', () => {
    expect(expandGrafanaSql('$__timeFilter(toDateTime(intDiv(ts, 1000)))', ctx())).toBe(
      `toDateTime(intDiv(ts, 1000)) >= toDateTime(${f}) AND toDateTime(intDiv(ts, 1000)) <= toDateTime(${t})`,
    );
    expect(() => expandGrafanaSql("$__timeFilter(a, 'b,c')", ctx())).toThrow(/expects 1 argument, got 2/);
  });

  it('refuses unknown macros and unclosed calls', () => {
    expect(() => expandGrafanaSql('$__timeGroup(ts, 1m)', ctx())).toThrow(/unknown macro \$__timeGroup/);
    expect(() => expandGrafanaSql('$__timeFilter(ts', ctx())).toThrow(/not closed/);
  });
});
