import { SEVERITY_RANK, type Severity } from '@bulwark/contracts';
import type { ServerIdentity, ToolFinding } from '@bulwark/detectors';

/** A finding with where to point a reviewer (config file and line, when the server came from one). */
export interface ScanFinding extends ToolFinding {
  configFile?: string;
  line?: number;
}

/** One scanned server, summarised. */
export interface ScannedServer {
  label: string;
  input: string;
  transport: 'stdio' | 'streamable-http' | 'sse';
  identity: ServerIdentity;
  tools: number;
  prompts: number;
  resources: number;
  unauthenticated: boolean;
  configFile?: string;
  line?: number;
}

/** Everything `bulwark scan` found, in the shape `--json` prints. */
export interface ScanReport {
  version: 1;
  servers: ScannedServer[];
  /** Targets that could not be scanned, with the reason. */
  errors: { target: string; reason: string }[];
  warnings: string[];
  findings: ScanFinding[];
  failOn: Severity;
  /** A finding is at or above `failOn`. */
  failed: boolean;
  lock?: { path: string; mode: 'pinned' | 'compared' };
}

/** Number of findings per severity. */
export function severityCounts(findings: readonly ToolFinding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * The human-readable report: servers, then findings by severity (with the strongest evidence excerpt).
 * `minSeverity` hides findings below it (the JSON and SARIF outputs always carry all of them).
 *
 * @example
 * console.log(formatScanTable(report, 'low'));
 */
export function formatScanTable(report: ScanReport, minSeverity: Severity = 'low'): string {
  const lines: string[] = [];
  const targets = report.servers.length + report.errors.length;
  lines.push(
    report.errors.length === 0
      ? `Scanned ${report.servers.length} server(s):`
      : `Scanned ${report.servers.length} of ${targets} target(s); ${report.errors.length} could not be scanned:`,
  );
  for (const s of report.servers) {
    const auth = s.unauthenticated ? '  [no authentication]' : '';
    lines.push(
      `  ${s.label}  (${s.transport}${s.identity.version ? `, v${s.identity.version}` : ''})  ${s.tools} tools, ${s.prompts} prompts, ${s.resources} resources${auth}`,
    );
  }
  for (const e of report.errors) lines.push(`  ! ${e.target}: ${e.reason}`);
  for (const w of report.warnings) lines.push(`  warning: ${w}`);
  lines.push('');
  if (report.servers.length === 0) {
    // Nothing was inspected: no findings table, no counts, nothing that reads like a clean result.
    lines.push(
      `ERROR: no server could be scanned (${report.errors.length} target(s) failed); nothing was checked`,
    );
    return lines.join('\n');
  }

  const shown = report.findings
    .filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[minSeverity])
    .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  if (shown.length === 0) lines.push('No findings.');
  else {
    const rows = shown.map((f) => [
      f.severity.toUpperCase(),
      f.category,
      `${f.server ?? '?'}/${f.toolName}`,
      f.ruleId,
      truncate(f.message, 90),
    ]);
    const header = ['SEVERITY', 'CATEGORY', 'SERVER/TOOL', 'RULE', 'DETAIL'];
    const widths = header.map((h, i) =>
      Math.min(i === 2 ? 48 : 40, Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0))),
    );
    const fmt = (r: string[]) =>
      r
        .map((c, i) => (i < r.length - 1 ? truncate(c, widths[i] ?? 40).padEnd(widths[i] ?? 0) : c))
        .join('  ');
    lines.push(fmt(header));
    lines.push(widths.map((w) => '-'.repeat(w)).join('  ') + '  ------');
    shown.forEach((f, k) => {
      lines.push(fmt(rows[k] ?? []));
      const e = f.evidence[0];
      if (e?.excerpt) lines.push(`${' '.repeat(4)}${e.field ?? ''}: "${truncate(e.excerpt, 140)}"`);
    });
  }
  const hidden = report.findings.length - shown.length;
  const c = severityCounts(report.findings);
  lines.push('');
  lines.push(
    `${report.findings.length} finding(s): ${c.critical} critical, ${c.high} high, ${c.medium} medium, ${c.low} low, ${c.info} info${hidden > 0 ? ` (${hidden} below ${minSeverity} not shown)` : ''}`,
  );
  if (report.lock)
    lines.push(
      report.lock.mode === 'pinned' ? `Pinned to ${report.lock.path}` : `Compared with ${report.lock.path}`,
    );
  if (report.failed) lines.push(`FAIL: findings at or above ${report.failOn}`);
  if (report.errors.length > 0)
    lines.push(
      `ERROR: ${report.errors.length} of ${targets} target(s) could not be scanned; the result covers only the others`,
    );
  else if (!report.failed) lines.push(`OK: nothing at or above ${report.failOn}`);
  return lines.join('\n');
}
