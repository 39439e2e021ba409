import { SEVERITY_RANK, type Severity } from '@bulwark/contracts';
import { escapeHtml as h } from './escape-html.js';
import {
  type ReportData,
  type ReportIncident,
  type ReportRefusedCall,
  type ReportSessionDetail,
  severityOfRank,
} from './load-report-data.js';
import { type ChartSeries, formatUtcFull, horizontalBarChart, stackedBarChart } from './svg-charts.js';

/** Decision colors (same order and hues as the Grafana panels). */
export const REPORT_DECISION_COLORS: Readonly<Record<string, string>> = {
  allow: '#3fb950',
  alert: '#d29922',
  require_approval: '#db6d28',
  block: '#f85149',
};

const SEVERITY_HEX: Readonly<Record<Severity, string>> = {
  info: '#58a6ff',
  low: '#3fb950',
  medium: '#d29922',
  high: '#db6d28',
  critical: '#f85149',
};

// Distinct hues for detectors, in order of how busy they are.
const PALETTE = [
  '#a371f7',
  '#58a6ff',
  '#f778ba',
  '#3fb9a0',
  '#e3b341',
  '#ff7b72',
  '#79c0ff',
  '#d2a8ff',
  '#7ee787',
  '#ffa657',
];

/** The report's stylesheet: the live page of `bulwark serve` uses the same one. */
export const REPORT_CSS = `
:root { color-scheme: dark; --bg: #0d1117; --panel: #161b22; --panel2: #1c2129; --border: #30363d; --line: #21262d;
  --text: #e6edf3; --muted: #8b949e; --faint: #6e7681; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif; }
.wrap { max-width: 1320px; margin: 0 auto; padding: 0 28px 40px; }
header.top { border-bottom: 1px solid var(--border); background: linear-gradient(180deg, #161b22 0%, #0d1117 100%); }
header.top .wrap { display: flex; justify-content: space-between; align-items: flex-end; gap: 24px; padding-top: 22px; padding-bottom: 18px; }
.brand { display: flex; align-items: center; gap: 12px; }
.brand svg { flex: none; }
h1 { font-size: 22px; margin: 0; font-weight: 650; letter-spacing: .01em; }
.sub { color: var(--muted); font-size: 13px; margin-top: 2px; }
.meta { text-align: right; color: var(--muted); font-size: 12px; line-height: 1.6; }
.meta b { color: var(--text); font-weight: 600; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .08em; color: var(--muted); font-weight: 600; margin: 26px 0 10px; }
.kpis { display: grid; grid-template-columns: repeat(7, minmax(0, 1fr)); gap: 12px; margin-top: 20px; }
.card { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 14px 16px; }
.kpi .label { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .06em; }
.kpi .value { font-size: 30px; font-weight: 650; margin-top: 4px; font-variant-numeric: tabular-nums; }
.kpi .hint { color: var(--faint); font-size: 12px; }
.kpi.bad .value { color: #ff7b72; } .kpi.warn .value { color: #e3b341; } .kpi.good .value { color: #3fb950; }
.row { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 12px; }
.card h3 { margin: 0 0 2px; font-size: 15px; font-weight: 600; }
.card .desc { color: var(--muted); font-size: 12px; margin-bottom: 10px; }
svg.chart { width: 100%; height: auto; display: block; }
svg .grid { stroke: var(--line); } svg .axis { stroke: #484f58; }
svg .tick { fill: var(--muted); font-size: 11px; } svg .empty { fill: var(--faint); font-size: 13px; }
svg .track { fill: #21262d; } svg .label { fill: var(--text); font-size: 12px; }
svg .value { fill: var(--text); font-size: 12px; font-weight: 600; } svg .note { fill: var(--muted); font-weight: 400; }
svg .mark:hover { opacity: .8; }
.legend { display: flex; gap: 16px; flex-wrap: wrap; font-size: 12px; color: var(--muted); margin-top: 8px; }
.legend b { color: var(--text); font-weight: 600; margin-left: 4px; }
.sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; color: var(--muted); font-weight: 500; font-size: 12px; border-bottom: 1px solid var(--border); padding: 6px 10px; white-space: nowrap; }
td.nw { white-space: nowrap; }
td { border-bottom: 1px solid var(--line); padding: 7px 10px; vertical-align: middle; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:last-child td { border-bottom: 0; }
.mono { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, monospace; font-size: 12px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 11px; font-weight: 650; text-transform: uppercase;
  letter-spacing: .03em; border: 1px solid; white-space: nowrap; }
.state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 11px; font-weight: 600; background: #21262d; color: var(--muted); }
.state.open { background: rgba(248, 81, 73, .15); color: #ff7b72; }
.riskbar { height: 6px; border-radius: 3px; background: #21262d; min-width: 80px; overflow: hidden; }
.riskbar span { display: block; height: 100%; border-radius: 3px; }
.incident { border-left: 4px solid var(--sev); margin-bottom: 10px; padding: 0; }
.incident > summary { list-style: none; cursor: pointer; padding: 12px 16px; }
.incident > summary::-webkit-details-marker { display: none; }
.incident > summary .title::before { content: '▸ '; color: var(--muted); }
.incident[open] > summary .title::before { content: '▾ '; }
.incident .body { padding: 0 16px 10px; }
.stack > * + * { margin-top: 16px; }
.card h4 { margin: 0 0 6px; font-size: 13px; font-weight: 600; color: var(--muted); }
a.sid { color: inherit; text-decoration: none; border-bottom: 1px dotted var(--faint); }
.incident .head { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; }
.incident .ctx { margin-bottom: 0; }
.incident .title { font-size: 15px; font-weight: 600; }
.incident .when { color: var(--muted); font-size: 12px; white-space: nowrap; }
.incident .ctx { color: var(--muted); font-size: 12px; margin: 4px 0 8px; }
.incident .ctx b { color: var(--text); font-weight: 500; }
.finding { border-top: 1px solid var(--line); padding: 8px 0 4px; }
.finding .ft { font-weight: 600; } .finding .fd { color: var(--muted); font-size: 12px; margin: 2px 0 6px; }
.ev { display: grid; grid-template-columns: 210px minmax(0, 1fr); gap: 4px 12px; margin: 4px 0 2px; }
.ev .where { color: var(--muted); font-size: 12px; }
.ev .excerpt { align-self: start; background: var(--bg); border: 1px solid var(--border); border-radius: 6px; padding: 5px 8px; white-space: pre-wrap;
  word-break: break-word; color: #ffa198; }
.ev .evnote { grid-column: 2; color: var(--faint); font-size: 12px; margin-top: -2px; }
.none { color: var(--faint); font-style: italic; padding: 8px 0; }
.badge.late { color: #f778ba; border-color: #f778ba66; background: #f778ba1a; }
.src { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 11px; background: #21262d; color: var(--muted); white-space: nowrap; }
.src.fallback { background: rgba(219, 109, 40, .15); color: #ffa657; }
.src.stream { background: rgba(247, 120, 186, .12); color: #f778ba; }
.differs { color: #e3b341; font-size: 12px; font-weight: 600; white-space: nowrap; }
.incident.late .title { color: #f778ba; }
td.reason { color: var(--muted); font-size: 12px; word-break: break-word; }
tr.late td { background: rgba(247, 120, 186, .06); }
footer { color: var(--faint); font-size: 12px; margin-top: 28px; border-top: 1px solid var(--border); padding-top: 12px; }
@media (max-width: 1000px) { .kpis { grid-template-columns: repeat(4, minmax(0, 1fr)); } .row { grid-template-columns: 1fr; } }
@media print { body { background: #fff; color: #000; } .card { break-inside: avoid; } }
`;

const LOGO = `<svg width="34" height="34" viewBox="0 0 34 34" aria-hidden="true"><path d="M17 2 30 7v9c0 8-5.6 13.6-13 16C9.6 29.6 4 24 4 16V7z" fill="#1f6feb" opacity=".25" stroke="#58a6ff" stroke-width="1.5"/><path d="m11 17 4.2 4.2L23.5 13" fill="none" stroke="#58a6ff" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

const n = (v: number) => v.toLocaleString('en-US');

function severityBadge(s: Severity): string {
  const c = SEVERITY_HEX[s];
  return `<span class="badge" style="color:${c};border-color:${c}66;background:${c}22">${h(s)}</span>`;
}

function decisionBadge(d: string): string {
  const c = REPORT_DECISION_COLORS[d] ?? '#8b949e';
  return `<span class="badge" style="color:${c};border-color:${c}66;background:${c}1a">${h(d.replace('_', ' '))}</span>`;
}

/** `fallback_timeout` → `timeout`: the fallback as a reader says it. */
function sourceLabel(source: string): string {
  return source.startsWith('fallback_') ? source.slice('fallback_'.length) : source;
}

/** Where an enforced decision came from, as a tag: `verdict`, or the fallback in its own color. */
function sourceTag(source: string): string {
  const fallback = source.startsWith('fallback_');
  return `<span class="src${fallback ? ' fallback' : ''}" title="${h(source)}">${h(fallback ? `fallback: ${sourceLabel(source)}` : source)}</span>`;
}

/** The badge of a call that ran and was found only after the fact to be one to block. */
const LATE_BADGE = '<span class="badge late">executed · would have been blocked</span>';

/**
 * A verdict's origin as shown on a timeline: `inline`, or `after the fact` in its own color, with the
 * "executed · would have been blocked" badge when it is stricter than the inline verdict the call ran on.
 *
 * @example
 * verdictOriginHtml('stream', true); // '<span class="src stream">after the fact</span> <span class="badge late">…'
 */
export function verdictOriginHtml(origin: string, afterTheFact = false): string {
  if (origin !== 'stream') return h(origin);
  return `<span class="src stream" title="origin stream">after the fact</span>${afterTheFact ? ` ${LATE_BADGE}` : ''}`;
}

function legend(series: readonly ChartSeries[], totals: Readonly<Record<string, number>>): string {
  return `<div class="legend">${series
    .map(
      (s) =>
        `<span><i class="sw" style="background:${h(s.color)}"></i>${h(s.label)}<b>${n(totals[s.key] ?? 0)}</b></span>`,
    )
    .join('')}</div>`;
}

function sumSeries(buckets: ReportData['decisionBuckets'], keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = buckets.reduce((s, b) => s + (b.values[k] ?? 0), 0);
  return out;
}

function durationLabel(millis: number): string {
  const hours = millis / 3_600_000;
  if (hours < 1) return `${Math.max(1, Math.round(millis / 60_000))} min`;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${Math.round(hours / 24)} days`;
}

/** `5-minute`, `1-hour`, `1-day`: the chart bucket in words (short ranges get minute buckets). */
export function bucketLabel(bucketMillis: number): string {
  if (bucketMillis < 3_600_000) return `${Math.max(1, Math.round(bucketMillis / 60_000))}-minute`;
  if (bucketMillis < 86_400_000) return `${Math.round(bucketMillis / 3_600_000)}-hour`;
  return `${Math.round(bucketMillis / 86_400_000)}-day`;
}

/** The agent as a reader knows it: its name, with the id beside it when both exist and differ. */
function agentCell(agentId: string | undefined, agentName: string | undefined): string {
  if (agentName && agentId && agentName !== agentId)
    return `${h(agentName)} <span class="mono" style="color:var(--muted)">${h(agentId)}</span>`;
  return h(agentName || agentId || '-');
}

/** In-page anchor of a session section. */
function sessionAnchor(x: { tenantId: string; sessionId: string }): string {
  return `session-${`${x.tenantId}-${x.sessionId}`.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** The session id, linked to its section when the report has one. */
function sessionLink(x: { tenantId: string; sessionId: string }, detailed: ReadonlySet<string>): string {
  const a = sessionAnchor(x);
  return detailed.has(a) ? `<a class="sid" href="#${h(a)}">${h(x.sessionId)}</a>` : h(x.sessionId);
}

function enforcedCell(e: { decision: string; source: string; differs: boolean } | undefined): string {
  if (!e) return '<span style="color:var(--faint)">-</span>';
  return `${decisionBadge(e.decision)} ${sourceTag(e.source)}${e.differs ? ' <span class="differs">differs</span>' : ''}`;
}

function sessionSection(s: ReportSessionDetail): string {
  const enforced = new Map((s.enforcedCalls ?? []).map((c) => [c.toolCallId, c]));
  const withVerdict = new Set(s.verdicts.map((v) => v.toolCallId ?? ''));
  type Row = { t: number; html: string };
  const timeline: Row[] = s.verdicts.map((v) => ({
    t: v.timestampMillis,
    html: `<tr${v.afterTheFact ? ' class="late"' : ''}><td class="nw">${h(formatUtcFull(v.timestampMillis))}</td><td class="mono">${h(v.toolName)}</td><td>${decisionBadge(v.decision)}</td><td class="nw">${verdictOriginHtml(v.origin, v.afterTheFact)}${v.source === 'fallback' ? ' · fallback' : ''}</td><td class="nw">${v.origin === 'inline' ? enforcedCell(enforced.get(v.toolCallId ?? '')) : ''}</td><td class="mono">${h(v.detectorIds.join(', ') || '-')}</td></tr>`,
  }));
  // Calls the agent decided without any stored verdict (a fallback, and no answer ever came).
  for (const c of s.enforcedCalls ?? []) {
    if (withVerdict.has(c.toolCallId)) continue;
    timeline.push({
      t: c.timestampMillis,
      html: `<tr><td class="nw">${h(formatUtcFull(c.timestampMillis))}</td><td class="mono">${h(c.toolName)}</td><td><span style="color:var(--faint)">no verdict</span></td><td class="nw">-</td><td class="nw">${enforcedCell(c)}</td><td class="mono">-</td></tr>`,
    });
  }
  const rows = timeline
    .sort((a, b) => a.t - b.t)
    .map((r) => r.html)
    .join('');
  const seen =
    s.firstSeenMillis !== undefined && s.lastSeenMillis !== undefined
      ? ` · ${h(formatUtcFull(s.firstSeenMillis))} → ${h(formatUtcFull(s.lastSeenMillis))} UTC`
      : '';
  const counts = s.events !== undefined ? ` · ${n(s.events)} events, ${n(s.toolCalls ?? 0)} tool calls` : '';
  return `<div class="card session" id="${h(sessionAnchor(s))}"><h3>Session <span class="mono">${h(s.sessionId)}</span></h3>
<div class="desc">tenant <b>${h(s.tenantId)}</b> · agent <b>${agentCell(s.agentId, s.agentName)}</b>${seen}${counts}</div>
${rows ? `<table class="session-verdicts"><thead><tr><th>Time (UTC)</th><th>Tool</th><th>Verdict</th><th>Origin</th><th>Enforced by the agent</th><th>Detectors</th></tr></thead><tbody>${rows}</tbody></table>` : '<div class="none">No verdict stored for this session.</div>'}${s.olderVerdicts > 0 ? `<div class="none">${n(s.olderVerdicts)} older verdict(s) not shown.</div>` : ''}</div>`;
}

function kpi(label: string, value: string, hint: string, tone = '', id = ''): string {
  return `<div class="card kpi ${tone}"${id ? ` id="${h(id)}"` : ''}><div class="label">${h(label)}</div><div class="value">${h(value)}</div><div class="hint">${h(hint)}</div></div>`;
}

/** The KPI tile of calls refused without a verdict, with the split by fallback source. */
function refusedKpi(data: ReportData): string {
  const total = data.enforced?.refusedWithoutVerdict ?? data.totals.refusedWithoutVerdict ?? 0;
  const split = Object.entries(data.enforced?.refusedBySource ?? {})
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([source, count]) => `${sourceLabel(source)} ${n(count)}`)
    .join(' · ');
  return kpi(
    'Refused without a verdict',
    n(total),
    total > 0 ? split || 'by the agents’ fallback' : 'no agent failed closed',
    total > 0 ? 'bad' : 'good',
    'kpi-refused',
  );
}

/** The calls the agents refused on their own because no verdict came in time. */
function refusedSection(
  calls: readonly ReportRefusedCall[],
  total: number,
  detailed: ReadonlySet<string>,
): string {
  if (calls.length === 0)
    return '<div class="card none" id="refused-calls">No call was refused without a verdict in this range.</div>';
  const rows = calls
    .map((c) => {
      const later = c.verdictDecision
        ? decisionBadge(c.verdictDecision)
        : '<span style="color:var(--faint)">none recorded</span>';
      const stream = c.streamDecision
        ? ` ${verdictOriginHtml('stream')} ${decisionBadge(c.streamDecision)}`
        : '';
      return `<tr><td class="nw">${h(formatUtcFull(c.timestampMillis))}</td><td class="mono nw">${sessionLink(c, detailed)}</td><td class="nw">${agentCell(c.agentId, c.agentName)}</td><td class="mono">${h(c.toolName)}</td><td class="nw">${decisionBadge(c.enforcedDecision)} ${sourceTag(c.enforcedSource)}</td><td class="nw">${later}${stream}</td><td>${c.differs ? '<span class="differs">differs</span>' : ''}</td><td class="reason">${h(c.enforcedReason || '-')}</td></tr>`;
    })
    .join('');
  const more =
    total > calls.length
      ? `<div class="none">${n(total - calls.length)} older refused call(s) not listed.</div>`
      : '';
  return `<div class="card" id="refused-calls"><table><thead><tr><th>Time (UTC)</th><th>Session</th><th>Agent</th><th>Tool</th><th>Enforced</th><th>Verdict that came later</th><th>Differs</th><th>Reason</th></tr></thead><tbody>${rows}</tbody></table>${more}</div>`;
}

function incidentCard(inc: ReportIncident, open: boolean, detailed: ReadonlySet<string>): string {
  const findings = inc.findings
    .slice()
    .sort(
      (a, b) =>
        SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.timestampMillis - b.timestampMillis,
    )
    .map((f) => {
      const evidence = f.evidence
        .map(
          (e) =>
            `<div class="where">${h(e.field ?? 'evidence')}${e.eventId ? `<br><span class="mono">${h(e.eventId)}</span>` : ''}</div>` +
            `<div class="excerpt mono">${h(e.excerpt ?? '(no excerpt)')}</div>` +
            (e.note ? `<div class="evnote">${h(e.note)}</div>` : ''),
        )
        .join('');
      return `<div class="finding"><div>${severityBadge(f.severity)} ${decisionBadge(f.decision)} <span class="ft">${h(f.title)}</span> <span class="mono" style="color:var(--muted)">${h(f.detectorId)}${f.toolName ? ` · ${h(f.toolName)}` : ''}</span></div>${f.description ? `<div class="fd">${h(f.description)}</div>` : ''}${evidence ? `<div class="ev">${evidence}</div>` : ''}</div>`;
    })
    .join('');
  return `<details class="card incident${inc.afterTheFact ? ' late' : ''}" id="incident-${h(anchor(inc))}" style="--sev:${SEVERITY_HEX[inc.severity]}"${open ? ' open' : ''}>
<summary><div class="head"><div>${severityBadge(inc.severity)} <span class="state ${inc.state}">${inc.state}</span> <span class="title">${h(inc.title)}</span>${inc.afterTheFact ? ` ${LATE_BADGE}` : ''}</div><div class="when">last seen ${h(formatUtcFull(inc.lastSeenMillis))} UTC</div></div>
<div class="ctx">tenant <b>${h(inc.tenantId)}</b> · session <b class="mono">${sessionLink(inc, detailed)}</b>${inc.agentId || inc.agentName ? ` · agent <b>${agentCell(inc.agentId, inc.agentName)}</b>` : ''}${inc.alertTitle && inc.alertTitle !== inc.title ? ` · alert <b>${h(inc.alertTitle)}</b>` : ''} · detectors <b>${h(inc.detectorIds.join(', ') || '-')}</b> · first seen ${h(formatUtcFull(inc.firstSeenMillis))} UTC</div></summary>
<div class="body">${findings || '<div class="none">No findings stored for this incident.</div>'}</div>
</details>`;
}

/** In-page anchor of an incident (ids are free text: keep it to safe characters). */
function anchor(inc: Pick<ReportIncident, 'tenantId' | 'dedupKey'>): string {
  return `${inc.tenantId}-${inc.dedupKey}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

function incidentIndex(data: ReportData, sessions: ReadonlySet<string>): string {
  if (data.incidentIndex.length === 0) return '<div class="card none">No incident in this range.</div>';
  const detailed = new Set(data.incidents.map(anchor));
  return `<div class="card"><table id="incident-index"><thead><tr><th>Severity</th><th>State</th><th>Incident</th><th>Tenant</th><th>Session</th><th>Agent</th><th>Detectors</th><th>Last seen (UTC)</th></tr></thead><tbody>${data.incidentIndex
    .map((i) => {
      const title = detailed.has(anchor(i))
        ? `<a class="sid" href="#incident-${h(anchor(i))}">${h(i.title)}</a>`
        : h(i.title);
      return `<tr><td>${severityBadge(i.severity)}</td><td><span class="state ${i.state}">${i.state}</span></td><td>${i.afterTheFact ? `${LATE_BADGE} ` : ''}${title}</td><td class="nw">${h(i.tenantId)}</td><td class="mono nw">${sessionLink(i, sessions)}</td><td class="nw">${agentCell(i.agentId, i.agentName)}</td><td class="mono">${h(i.detectorIds.join(', '))}</td><td class="nw">${h(formatUtcFull(i.lastSeenMillis))}</td></tr>`;
    })
    .join('')}</tbody></table></div>`;
}

/**
 * The report as one self-contained HTML document: inline CSS and SVG, no script, no font, image or any other
 * request (a Content-Security-Policy forbids them). Every value is escaped: excerpts are attacker text.
 *
 * @example
 * writeFileSync('report.html', renderReport(data));
 */
export function renderReport(data: ReportData): string {
  const decisionSeries: ChartSeries[] = Object.entries(REPORT_DECISION_COLORS).map(([key, color]) => ({
    key,
    label: key.replace('_', ' '),
    color,
  }));
  const detectorSeries: ChartSeries[] = data.detectors.map((d, i) => ({
    key: d,
    label: d,
    color: PALETTE[i % PALETTE.length]!,
  }));
  const t = data.totals;
  const blockRate = t.decisions > 0 ? (100 * t.blocked) / t.decisions : 0;
  const scope = data.tenantId ? `tenant ${data.tenantId}` : 'all tenants';
  const range = `${formatUtcFull(data.sinceMillis)} → ${formatUtcFull(data.untilMillis)} UTC`;
  const bucket = bucketLabel(data.bucketMillis);
  const details = data.sessionDetails ?? [];
  const detailed = new Set(details.map(sessionAnchor));
  // Relative risk: findings weighted by the worst severity (the same weights as the Grafana risk score).
  const risk = (s: ReportData['riskiestSessions'][number]) =>
    (s.findings + s.blockingFindings) * (2 ** s.maxSeverityRank - 1);
  const maxRisk = Math.max(1, ...data.riskiestSessions.map(risk));

  const sessions = data.riskiestSessions.length
    ? `<table id="riskiest-sessions"><thead><tr><th>Session</th><th>Tenant</th><th>Agent</th><th>Worst</th><th class="num">Findings</th><th class="num">Blocking</th><th class="num">Tool calls</th><th>Relative risk</th><th>Last seen (UTC)</th></tr></thead><tbody>${data.riskiestSessions
        .map((s) => {
          const sev = severityOfRank(s.maxSeverityRank);
          return `<tr><td class="mono nw">${sessionLink(s, detailed)}</td><td class="nw">${h(s.tenantId)}</td><td class="nw">${agentCell(s.agentId, s.agentName)}</td><td>${severityBadge(sev)}</td><td class="num">${n(s.findings)}</td><td class="num">${n(s.blockingFindings)}</td><td class="num">${n(s.toolCalls)}</td><td><div class="riskbar"><span style="width:${Math.max(4, (100 * risk(s)) / maxRisk).toFixed(0)}%;background:${SEVERITY_HEX[sev]}"></span></div></td><td class="nw">${h(formatUtcFull(s.lastSeenMillis))}</td></tr>`;
        })
        .join('')}</tbody></table>`
    : '<div class="none">No session with findings in this range.</div>';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="bulwark report">
<title>${h(data.title)} · ${h(range)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header class="top"><div class="wrap">
<div class="brand">${LOGO}<div><h1>${h(data.title)}</h1><div class="sub">What Bulwark decided about your agents' tool calls, and the incidents behind the blocks.</div></div></div>
<div class="meta"><b>${h(scope)}</b> · ${h(range)} (${h(durationLabel(data.untilMillis - data.sinceMillis))})<br>Generated ${h(formatUtcFull(data.untilMillis))} UTC from the ${data.storeKind === 'chdb' ? 'embedded (chdb)' : 'ClickHouse server'} event store</div>
</div></header>
<main class="wrap">
<section class="kpis">
${kpi('Decisions', n(t.decisions), `${n(t.activeSessions)} active sessions`)}
${kpi('Blocked', n(t.blocked), 'tool calls stopped', t.blocked > 0 ? 'bad' : 'good')}
${kpi('Block rate', `${blockRate.toFixed(1)}%`, 'of decided calls', blockRate >= 5 ? 'bad' : blockRate > 0 ? 'warn' : 'good')}
${kpi('Open incidents', n(t.openIncidents), `${n(t.incidents)} raised in range`, t.openIncidents > 0 ? 'bad' : 'good')}
${kpi('Sessions at risk', n(t.sessionsAtRisk), 'high or critical findings', t.sessionsAtRisk > 0 ? 'warn' : 'good')}
${kpi('Findings', n(t.findings), 'across all detectors')}
${refusedKpi(data)}
</section>

<h2>Decisions</h2>
<div class="row">
<div class="card"><h3>Decisions over time</h3><div class="desc">Verdicts per ${h(bucket)} bucket by outcome (inline and after the fact).</div>
${stackedBarChart({ title: 'Decisions over time by decision', series: decisionSeries, buckets: data.decisionBuckets, bucketMillis: data.bucketMillis, height: 290 })}
${legend(decisionSeries, sumSeries(data.decisionBuckets, Object.keys(REPORT_DECISION_COLORS)))}</div>
<div class="card stack"><div><h3>Top blocked tools</h3><div class="desc">Blocked calls per tool (a call blocked twice counts once).</div>
${horizontalBarChart({
  title: 'Top blocked tools',
  color: REPORT_DECISION_COLORS.block!,
  unit: 'blocked calls',
  bars: data.topBlockedTools.map((b) => ({
    label: b.toolName,
    value: b.blockedCalls,
    note: `in ${n(b.sessions)} session${b.sessions === 1 ? '' : 's'}`,
  })),
})}</div>
<div><h3>Findings by severity</h3><div class="desc">Everything the detectors reported, blocking or not.</div>
${horizontalBarChart({
  title: 'Findings by severity',
  color: SEVERITY_HEX.info,
  unit: 'findings',
  bars: (Object.keys(SEVERITY_HEX) as Severity[])
    .slice()
    .reverse()
    .map((sev) => ({ label: sev, value: data.findingsBySeverity[sev] ?? 0, color: SEVERITY_HEX[sev] })),
})}</div></div>
</div>
<div class="card" style="margin-top:12px"><h3>Detections by detector</h3><div class="desc">Verdicts stricter than allow, per detector that contributed (a verdict with two detectors counts for both).</div>
${stackedBarChart({ title: 'Detections over time by detector', series: detectorSeries, buckets: data.detectorBuckets, bucketMillis: data.bucketMillis, width: 1240, height: 200 })}
${legend(detectorSeries, sumSeries(data.detectorBuckets, data.detectors))}</div>

<h2>Refused without a verdict</h2>
<div class="desc" style="color:var(--muted);font-size:12px;margin:-4px 0 10px">Calls the agent refused on its own because no verdict came in time (its fallback: timeout, collector unreachable, error). They never ran, whatever verdict came later; many of them mean an agent is failing closed.</div>
${refusedSection(data.refusedCalls ?? [], data.enforced?.refusedWithoutVerdict ?? data.totals.refusedWithoutVerdict ?? 0, detailed)}

<h2>Riskiest sessions</h2>
<div class="card">${sessions}</div>

<h2>Incidents</h2>
${incidentIndex(data, detailed)}

<h2>Latest incidents with evidence</h2>
${data.incidents.length ? data.incidents.map((inc, i) => incidentCard(inc, i < 3, detailed)).join('\n') : '<div class="card none">No incident in this range.</div>'}

${details.length ? `<h2>Sessions behind the incidents and refused calls</h2>\n<div class="stack">${details.map(sessionSection).join('\n')}</div>\n` : ''}
<footer>Bulwark · self-contained report: no script, no network request. Times are UTC. Counts read the event store with de-duplication, so records delivered twice count once.</footer>
</main>
</body>
</html>
`;
}
