/** Bounds on one verdict request, checked at the edge before any of it reaches the engine. */
export interface VerdictLimits {
  /** Events one request may carry. */
  maxVerdictEvents: number;
  /** Largest string value (UTF-8 bytes) anywhere in the request: arguments, event text. */
  maxVerdictValueBytes: number;
  /** Deepest nesting of the JSON body, in levels (the body itself is level 1). */
  maxJsonDepth: number;
}

/** Why a body breaks a bound: the HTTP status, error code and a message that says what to do. */
export type LimitResult =
  | { ok: true }
  | {
      ok: false;
      status: 400 | 413;
      code: 'too_deep' | 'too_many_events' | 'value_too_large';
      message: string;
    };

/** Bytes of `s` in UTF-8 when it may exceed `max` (a UTF-16 unit is 1 to 3 bytes: skip the count when it cannot). */
function utf8BytesOver(s: string, max: number): number | undefined {
  if (s.length * 3 <= max) return undefined;
  const bytes = s.length > max ? s.length : Buffer.byteLength(s, 'utf8');
  return bytes > max ? Buffer.byteLength(s, 'utf8') : undefined;
}

/** One value on the walk's stack; the path is kept as a parent link and spelled out only for an error. */
interface Frame {
  v: unknown;
  depth: number;
  key: string | number;
  parent: Frame | undefined;
}

function pathOf(f: Frame): string {
  const parts: (string | number)[] = [];
  for (let x: Frame | undefined = f; x?.parent; x = x.parent) parts.push(x.key);
  parts.reverse();
  return parts.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(body)';
}

type WalkHit = { kind: 'deep'; path: string } | { kind: 'big'; path: string; bytes: number };

/** One iterative pass (a body nested 10^5 deep must not overflow the stack): the first bound broken. */
function walk(value: unknown, maxDepth: number, maxStringBytes: number): WalkHit | undefined {
  const stack: Frame[] = [{ v: value, depth: 1, key: '', parent: undefined }];
  while (stack.length > 0) {
    const f = stack.pop()!;
    const v = f.v;
    if (typeof v === 'string') {
      const bytes = utf8BytesOver(v, maxStringBytes);
      if (bytes !== undefined) return { kind: 'big', path: pathOf(f), bytes };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (f.depth > maxDepth) return { kind: 'deep', path: pathOf(f) };
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], depth: f.depth + 1, key: i, parent: f });
    } else {
      for (const k in v as Record<string, unknown>)
        stack.push({ v: (v as Record<string, unknown>)[k], depth: f.depth + 1, key: k, parent: f });
    }
  }
  return undefined;
}

/**
 * Nesting depth check of a parsed JSON value, without recursion: the path where `max` levels are passed,
 * or undefined.
 *
 * @example
 * jsonDepthOver({ a: [[1]] }, 2); // { path: 'a[0]' }
 */
export function jsonDepthOver(value: unknown, max: number): { path: string } | undefined {
  const hit = walk(value, max, Number.POSITIVE_INFINITY);
  return hit?.kind === 'deep' ? { path: hit.path } : undefined;
}

/**
 * Checks a parsed verdict request body against the bounds that keep one request's cost small and
 * proportional: nesting depth (400 `too_deep`), number of events (413 `too_many_events`), size of any one
 * string value (413 `value_too_large`). Runs before schema validation, so an oversize body costs one walk.
 *
 * @example
 * const limit = checkVerdictLimits(JSON.parse(text), { maxVerdictEvents: 1000, maxVerdictValueBytes: 1 << 20, maxJsonDepth: 64 });
 * if (!limit.ok) return HttpReply.error(res, limit.status, limit.code, limit.message);
 */
export function checkVerdictLimits(body: unknown, limits: VerdictLimits): LimitResult {
  // Counted first: a 10 000-event body is refused without walking it.
  const events =
    body !== null && typeof body === 'object' ? (body as { events?: unknown }).events : undefined;
  if (Array.isArray(events) && events.length > limits.maxVerdictEvents) {
    return {
      ok: false,
      status: 413,
      code: 'too_many_events',
      message: `${events.length} events exceed maxVerdictEvents=${limits.maxVerdictEvents} per verdict request: send the events observed since the previous verdict only, or export older ones to /v1/traces`,
    };
  }
  const hit = walk(body, limits.maxJsonDepth, limits.maxVerdictValueBytes);
  if (hit?.kind === 'deep') {
    return {
      ok: false,
      status: 400,
      code: 'too_deep',
      message: `body is nested deeper than maxJsonDepth=${limits.maxJsonDepth} levels (at ${hit.path}): flatten the arguments or send deep structures as a JSON string`,
    };
  }
  if (hit?.kind === 'big') {
    return {
      ok: false,
      status: 413,
      code: 'value_too_large',
      message: `${hit.path} is ${hit.bytes} bytes, over maxVerdictValueBytes=${limits.maxVerdictValueBytes}: truncate large values before asking (the SDK does so at maxVerdictFieldBytes)`,
    };
  }
  return { ok: true };
}
