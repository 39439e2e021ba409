import type { EventStore } from '@bulwark/stream';
import { loadReportData, type ReportData, type ReportOptions } from './load-report-data.js';
import { renderReport } from './render-report.js';

/** The report, or why it could not be made (a store query failed), as a value. */
export type ReportResult =
  | { ok: true; html: string; data: ReportData }
  | { ok: false; reason: 'unavailable' | 'invalid' | 'closed'; retryAfterMillis: number; message: string };

/**
 * Builds the self-contained HTML report from either event store (chdb or server), through its query interface.
 *
 * @example
 * const res = await generateReport(store, { sinceMillis: Date.now() - 24 * 3_600_000 });
 * if (res.ok) writeFileSync('report.html', res.html);
 * else console.error(`report failed (${res.reason}): ${res.message}`);
 */
export async function generateReport(store: EventStore, options: ReportOptions): Promise<ReportResult> {
  const loaded = await loadReportData(store, options);
  if (!loaded.ok) return loaded;
  return { ok: true, html: renderReport(loaded.data), data: loaded.data };
}
