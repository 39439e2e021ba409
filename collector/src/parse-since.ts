// One reading of a time window for the analyst view's filters and the CLI's `hunt` / `report --since`.
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since`: an ISO 8601 time, or a duration before `nowMillis` (`30m`, `24h`, `7d`, `2w`).
 *
 * @example
 * parseSince('24h', Date.now()); // { ok: true, millis: <a day ago> }
 */
export function parseSince(
  value: string,
  nowMillis: number,
): { ok: true; millis: number } | { ok: false; message: string } {
  const v = value.trim();
  const rel = /^(\d+)\s*([smhdw])$/i.exec(v);
  if (rel) return { ok: true, millis: nowMillis - Number(rel[1]) * UNITS[rel[2]!.toLowerCase()]! };
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return { ok: true, millis: t };
  }
  return {
    ok: false,
    message: `--since "${value}" is neither an ISO time (2025-01-31T12:00:00Z) nor a duration like 90m, 24h, 7d or 2w`,
  };
}
