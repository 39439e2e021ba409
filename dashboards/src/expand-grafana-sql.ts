import { GrafanaSqlError } from './errors.js';

/** A template variable's current state, as Grafana keeps it. */
export interface GrafanaVariableState {
  /** Selected value(s); `'$__all'` or `['$__all']` when All is selected. */
  value: string | string[];
  /** Custom all value, inserted as is when All is selected. */
  allValue?: string;
  /** Every option's value: what All expands to when there is no custom all value. */
  options?: string[];
}

/** What a panel query is expanded with: the dashboard time range, the interval and the variables. */
export interface GrafanaQueryContext {
  fromMillis: number;
  toMillis: number;
  /** The panel's interval (`$__interval`), e.g. 60_000. */
  intervalMillis: number;
  variables: Readonly<Record<string, GrafanaVariableState>>;
}

// Grafana's template variable syntax: $name, [[name:fmt]], ${name}, ${name.path}, ${name:fmt}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

const isAll = (v: string | string[]): boolean => v === '$__all' || (Array.isArray(v) && v[0] === '$__all');

/** Grafana's variable formats that make sense in SQL (formatRegistry). */
function formatValue(value: string | string[], format: string | undefined, name: string): string {
  const list = Array.isArray(value) ? value : undefined;
  const one = (v: string) => v;
  switch (format) {
    case undefined:
      // The ClickHouse plugin's own formatter: arrays become 'a','b' (no escaping); single values stay raw.
      return list ? `'${list.join("','")}'` : String(value);
    case 'singlequote': {
      const q = (v: string) => `'${v.replace(/'/g, "\\'")}'`;
      return list ? list.map(q).join(',') : q(String(value));
    }
    case 'doublequote': {
      const q = (v: string) => `"${v.replace(/"/g, '\\"')}"`;
      return list ? list.map(q).join(',') : q(String(value));
    }
    case 'sqlstring': {
      const q = (v: string) => `'${v.replace(/'/g, "''")}'`;
      return list ? list.map(q).join(',') : q(String(value));
    }
    case 'csv':
    case 'raw':
    case 'text':
      return list ? list.map(one).join(',') : String(value);
    case 'pipe':
      return list ? list.join('|') : String(value);
    case 'json':
      return JSON.stringify(value);
    default:
      throw new GrafanaSqlError(`variable ${name}: format ${format} is not supported in panel SQL`);
  }
}

/** Grafana's own variables that a panel may use (the time range and the interval). */
function globalVariable(name: string, ctx: GrafanaQueryContext): string | undefined {
  switch (name) {
    case '__from':
      return String(ctx.fromMillis);
    case '__to':
      return String(ctx.toMillis);
    case '__interval_ms':
      return String(ctx.intervalMillis);
    case '__interval':
      return `${Math.max(1, Math.round(ctx.intervalMillis / 1000))}s`;
    default:
      return undefined;
  }
}

/** Arguments of a call starting at `open` (the `(`), split at top-level commas, and the index after `)`. */
function macroArgs(sql: string, open: number): { args: string[]; end: number } | undefined {
  let depth = 0;
  let start = open + 1;
  const args: string[] = [];
  let quote: string | undefined;
  for (let i = open; i < sql.length; i++) {
    const ch = sql[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth === 0) {
        args.push(sql.slice(start, i));
        const trimmed = args.map((a) => a.trim());
        // `$__fromTime()` has no arguments, not one empty one.
        return { args: trimmed.length === 1 && trimmed[0] === '' ? [] : trimmed, end: i + 1 };
      }
    } else if (ch === ',' && depth === 1) {
      args.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  return undefined;
}

/** `$__conditionalAll(condition, $var)`: the plugin's front end drops the condition when All is selected. */
function applyConditionalAll(sql: string, ctx: GrafanaQueryContext): string {
  const macro = '$__conditionalAll(';
  let out = sql;
  for (let at = out.lastIndexOf(macro); at !== -1; at = out.lastIndexOf(macro)) {
    const parsed = macroArgs(out, at + macro.length - 1);
    if (parsed?.args.length !== 2)
      throw new GrafanaSqlError('$__conditionalAll takes (condition, $variable)');
    const [condition = '', variable = ''] = parsed.args;
    const name = /\$\{?(\w+)/.exec(variable)?.[1];
    const state = name ? ctx.variables[name] : undefined;
    const value = state ? String(state.value) : '';
    out = out.slice(0, at) + (value === '' || value === '$__all' ? '1=1' : condition) + out.slice(parsed.end);
  }
  return out;
}

/** Grafana's front end: template variables replaced (`templateSrv.replace` with the plugin's formatter). */
function replaceVariables(sql: string, ctx: GrafanaQueryContext): string {
  return sql.replace(VARIABLE, (match, var1, var2, fmt2, var3, fieldPath, fmt3) => {
    const name: string = var1 ?? var2 ?? var3;
    const format: string | undefined = fmt2 ?? fmt3;
    const state = ctx.variables[name];
    if (!state) {
      const global = globalVariable(name, ctx);
      if (global !== undefined) return formatValue(global, format, name);
      // $__timeFilter(...) and friends are the back end's macros, left for the next step.
      if (name.startsWith('__')) return match;
      throw new GrafanaSqlError(`unknown template variable ${match}`);
    }
    if (fieldPath) throw new GrafanaSqlError(`variable ${match}: field paths are not supported in panel SQL`);
    let value = state.value;
    if (isAll(value)) {
      if (format === 'text') return 'All';
      // Grafana inserts a custom all value unformatted (except for text/percentencode).
      if (state.allValue !== undefined && format !== 'percentencode') return state.allValue;
      value = state.options ?? [];
    }
    return formatValue(value, format, name);
  });
}

const toDateTime = (millis: number) => `toDateTime(${Math.floor(millis / 1000)})`;
const toDateTime64 = (millis: number) => `fromUnixTimestamp64Milli(${Math.floor(millis)})`;
const toDate = (millis: number) => `toDate('${new Date(millis).toISOString().slice(0, 10)}')`;

type Macro = (args: string[], ctx: GrafanaQueryContext) => string;

function oneArg(name: string, fn: (column: string, ctx: GrafanaQueryContext) => string): Macro {
  return (args, ctx) => {
    if (args.length !== 1) throw new GrafanaSqlError(`$__${name} expects 1 argument, got ${args.length}`);
    return fn(args[0]!, ctx);
  };
}

const intervalSeconds = (ctx: GrafanaQueryContext) => Math.max(Math.floor(ctx.intervalMillis / 1000), 1);

/** The ClickHouse plugin's macros (pkg/macros/macros.go), expanded in UTC like its back end. */
const MACROS: Readonly<Record<string, Macro>> = {
  fromTime: (_a, c) => toDateTime(c.fromMillis),
  toTime: (_a, c) => toDateTime(c.toMillis),
  fromTime_ms: (_a, c) => toDateTime64(c.fromMillis),
  toTime_ms: (_a, c) => toDateTime64(c.toMillis),
  timeFilter: oneArg(
    'timeFilter',
    (col, c) => `${col} >= ${toDateTime(c.fromMillis)} AND ${col} <= ${toDateTime(c.toMillis)}`,
  ),
  timeFilter_ms: oneArg(
    'timeFilter_ms',
    (col, c) => `${col} >= ${toDateTime64(c.fromMillis)} AND ${col} <= ${toDateTime64(c.toMillis)}`,
  ),
  dateFilter: oneArg(
    'dateFilter',
    (col, c) => `${col} >= ${toDate(c.fromMillis)} AND ${col} <= ${toDate(c.toMillis)}`,
  ),
  dateTimeFilter: dateTimeFilter,
  dt: dateTimeFilter,
  timeInterval: oneArg(
    'timeInterval',
    (col, c) => `toStartOfInterval(toDateTime(${col}), INTERVAL ${intervalSeconds(c)} second)`,
  ),
  timeInterval_ms: oneArg(
    'timeInterval_ms',
    (col, c) =>
      `toStartOfInterval(toDateTime64(${col}, 3), INTERVAL ${Math.max(Math.floor(c.intervalMillis), 1)} millisecond)`,
  ),
  interval_s: (_a, c) => String(intervalSeconds(c)),
};

function dateTimeFilter(args: string[], c: GrafanaQueryContext): string {
  if (args.length !== 2)
    throw new GrafanaSqlError(`$__dateTimeFilter expects 2 arguments, got ${args.length}`);
  const [date, time] = args as [string, string];
  return `(${date} >= ${toDate(c.fromMillis)} AND ${date} <= ${toDate(c.toMillis)}) AND (${time} >= ${toDateTime(c.fromMillis)} AND ${time} <= ${toDateTime(c.toMillis)})`;
}

/** The plugin's back end (sqlds): `$__name` and `$__name(args)` macros. */
function expandMacros(sql: string, ctx: GrafanaQueryContext): string {
  const name = /\$__(\w+)/g;
  let out = '';
  let last = 0;
  for (let m = name.exec(sql); m !== null; m = name.exec(sql)) {
    const macro = MACROS[m[1]!];
    if (!macro)
      throw new GrafanaSqlError(
        `unknown macro $__${m[1]} (the ClickHouse plugin has ${Object.keys(MACROS).join(', ')})`,
      );
    let end = m.index + m[0].length;
    let args: string[] = [];
    if (sql[end] === '(') {
      const parsed = macroArgs(sql, end);
      if (!parsed) throw new GrafanaSqlError(`$__${m[1]}( is not closed`);
      args = parsed.args;
      end = parsed.end;
    }
    out += sql.slice(last, m.index) + macro(args, ctx);
    last = end;
    name.lastIndex = end;
  }
  return out + sql.slice(last);
}

/**
 * Expands a panel's SQL the way Grafana and the ClickHouse data source plugin do before it reaches
 * ClickHouse: `$__conditionalAll`, then template variables (`$v`, `${v}`, `${v:singlequote}`, multi-value and
 * All), then the plugin's macros (`$__timeFilter(col)`, `$__fromTime`, `$__toTime`, `$__interval_s`,
 * `$__timeInterval(col)`, `$__dateFilter(col)`, ...). Throws `GrafanaSqlError` for an unknown macro or variable,
 * which is a bug in the dashboard.
 *
 * @example
 * expandGrafanaSql("SELECT 1 FROM t WHERE $__timeFilter(ts) AND x IN (${tenant:singlequote})", {
 *   fromMillis: 0, toMillis: 3_600_000, intervalMillis: 60_000, variables: { tenant: { value: ['a', 'b'] } },
 * }); // "... ts >= toDateTime(0) AND ts <= toDateTime(3600) AND x IN ('a','b')"
 */
export function expandGrafanaSql(sql: string, ctx: GrafanaQueryContext): string {
  return expandMacros(replaceVariables(applyConditionalAll(sql, ctx), ctx), ctx);
}
