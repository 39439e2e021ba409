import type { z } from 'zod';

/** What a zod issue carries that a reader needs: where, and what is wrong. */
export interface ZodIssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** How `formatZodIssues` names things. */
export interface FormatZodIssuesOptions {
  /** Shown for an issue on the value itself (empty path). Default `(root)`. */
  root?: string;
  /** At most this many issues (a hostile body can carry thousands). Default all. */
  limit?: number;
  /** Names the top-level key, e.g. with its environment variable: `port (BULWARK_PORT)`. */
  key?: (key: string) => string;
}

/** The dotted path of an issue (`events.1.kind`), `''` for the value itself. */
export function zodIssuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/**
 * One issue as `path: message`, the top-level key named by `options.key` when given.
 *
 * @example
 * formatZodIssue({ path: ['port'], message: 'Too big' }, { key: (k) => `${k} (BULWARK_PORT)` }); // 'port (BULWARK_PORT): Too big'
 */
export function formatZodIssue(issue: ZodIssueLike, options: FormatZodIssuesOptions = {}): string {
  if (issue.path.length === 0) return `${options.root ?? '(root)'}: ${issue.message}`;
  const [head, ...rest] = issue.path;
  const key = options.key ? options.key(String(head)) : String(head);
  return `${[key, ...rest.map(String)].join('.')}: ${issue.message}`;
}

/**
 * Every issue of a zod error (or a list of issues) as `path: message`, one string each: the one formatter
 * the packages share, so a bad key reads the same in a 400 reply, a log line and a config error. Join them
 * with `'; '` for one line, or list them one a line. `z.prettifyError` is the multi-line alternative when
 * the paths need no naming.
 *
 * @example
 * const r = schema.safeParse(input);
 * if (!r.success) throw new Error(`invalid: ${formatZodIssues(r.error).join('; ')}`);
 */
export function formatZodIssues(
  error: z.ZodError | { readonly issues: readonly ZodIssueLike[] } | readonly ZodIssueLike[],
  options: FormatZodIssuesOptions = {},
): string[] {
  const issues: readonly ZodIssueLike[] =
    'issues' in error ? error.issues : (error as readonly ZodIssueLike[]);
  const shown = options.limit === undefined ? issues : issues.slice(0, options.limit);
  return shown.map((i) => formatZodIssue(i, options));
}
