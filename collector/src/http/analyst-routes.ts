import { type AgentEvent, type Finding, SEVERITY_RANK, type Severity } from '@bulwark/contracts';
import {
  afterTheFactFlags,
  escapeHtml as h,
  loadReportData,
  REPORT_CSS,
  type ReportData,
  renderReport,
  verdictOriginHtml,
} from '@bulwark/dashboards';
import { DetectionEngine, type Policy, PolicyError, parsePolicy } from '@bulwark/detectors';
import { type EventStore, QUERIES, runRetroHunt, type VerdictRecord } from '@bulwark/stream';
import type { AuthResult } from '../authenticator.js';
import { parseSince } from '../parse-since.js';
import { ANALYST_SCRIPT } from './analyst-script.js';

/** One request to the analyst view, already authenticated (or refused) by the collector. No socket needed. */
export interface AnalystRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** The caller, or why authentication failed: pages answer a sign-in page then, the JSON API a 401. */
  auth: AuthResult;
  /** Parsed JSON body (POST only). */
  body?: unknown;
}

/** What to answer: status, headers and the body text. */
export interface AnalystResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface AnalystRoutesOptions {
  /** The event store the storage worker writes; undefined when the collector stores nothing. */
  store: EventStore | undefined;
  /** How often the page refreshes itself. Default 15 s. */
  refreshSeconds?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
}

/** Only the page's own script and style; nothing from anywhere else, no inline script. */
export const ANALYST_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': ANALYST_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const SINCE_CHOICES = ['15m', '1h', '6h', '24h', '7d', '30d'];
const SEVERITIES: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
/** Events shown on a session's timeline (the newest). */
const SESSION_EVENT_LIMIT = 500;
const EXCERPT_CHARS = 240;

type Filters = {
  since: string;
  sinceMillis: number;
  untilMillis: number;
  /** '' = every tenant. */
  tenantId: string;
  /** Whether the caller's credentials fix the tenant (a JWT tenant sees only its own data). */
  tenantLocked: boolean;
  agent: string;
  /** Minimum severity, '' = any. */
  severity: Severity | '';
};

type Outcome<T> = { ok: true; value: T } | { ok: false; status: number; code: string; message: string };

const json = (status: number, body: unknown, headers: Record<string, string> = {}): AnalystResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(body),
});
const jsonError = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  json(status, { error: { code, message } }, headers);
const html = (status: number, body: string, headers: Record<string, string> = {}): AnalystResponse => ({
  status,
  headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, ...headers },
  body,
});

class QueryFailed extends Error {}

async function rows<P extends Record<string, unknown>, R>(
  store: EventStore,
  q: Parameters<EventStore['query']>[0] & { decodeRow: (r: never) => R },
  params: P,
): Promise<R[]> {
  const res = await store.query(q as never, params as never);
  if (!res.ok) throw new QueryFailed(`${res.reason}: ${res.message}`);
  return res.rows as R[];
}

/** The report's content (header, main) cut out of its self-contained document, so one renderer serves both. */
function reportParts(doc: string): { body: string } {
  const between = (a: string, b: string) => {
    const i = doc.indexOf(a);
    const j = i < 0 ? -1 : doc.indexOf(b, i + a.length);
    return i < 0 || j < 0 ? '' : doc.slice(i, j + b.length);
  };
  return {
    // Every value in there went through escapeHtml, so no data can contain these tags literally.
    body: between('<header class="top">', '</header>') + between('<main class="wrap">', '</main>'),
  };
}

// Same formula as the report's in-page anchors, so its session links can point at the session view instead.
const sessionAnchor = (x: { tenantId: string; sessionId: string }) =>
  `session-${`${x.tenantId}-${x.sessionId}`.replace(/[^A-Za-z0-9_-]/g, '_')}`;

const LIVE_CSS = `
.bar { position: sticky; top: 0; z-index: 2; background: #0d1117ee; border-bottom: 1px solid var(--border); }
.bar .wrap { display: flex; flex-wrap: wrap; align-items: center; gap: 10px 16px; padding-top: 10px; padding-bottom: 10px; }
.bar form { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.bar label { color: var(--muted); font-size: 12px; display: flex; gap: 6px; align-items: center; }
.bar input, .bar select, .bar button { background: var(--panel); color: var(--text); border: 1px solid var(--border); border-radius: 6px; padding: 4px 8px; font: inherit; font-size: 13px; }
.bar button { cursor: pointer; background: #1f6feb; border-color: #1f6feb; }
.bar .live-status { margin-left: auto; color: var(--muted); font-size: 12px; }
.bar .live-status.err { color: #ff7b72; }
.bar a.home { color: var(--text); font-weight: 650; text-decoration: none; }
.notice { margin-top: 16px; border-left: 4px solid #d29922; }
.notice.err { border-left-color: #f85149; }
.sessions-nav { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 13px; }
.sessions-nav a, a.pivot { color: #79c0ff; text-decoration: none; }
.timeline td.what { white-space: nowrap; }
.timeline .txt { color: var(--muted); white-space: pre-wrap; word-break: break-word; }
`;

function sinceChoices(current: string): string {
  const list = SINCE_CHOICES.includes(current) ? SINCE_CHOICES : [current, ...SINCE_CHOICES];
  return list
    .map((s) => `<option value="${h(s)}"${s === current ? ' selected' : ''}>${h(s)}</option>`)
    .join('');
}

function filterQuery(f: Filters, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  q.set('since', f.since);
  if (f.tenantId && !f.tenantLocked) q.set('tenant', f.tenantId);
  if (f.agent) q.set('agent', f.agent);
  if (f.severity) q.set('severity', f.severity);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

function sessionHref(x: { tenantId: string; sessionId: string }, f: Filters): string {
  return `/sessions/${encodeURIComponent(x.sessionId)}?${filterQuery(f, { tenant: x.tenantId })}`;
}

function toolbar(f: Filters | undefined, refreshSeconds: number): string {
  const since = f?.since ?? '24h';
  const tenant = f?.tenantId ?? '';
  return `<nav class="bar"><div class="wrap"><a class="home" href="/">Bulwark live</a>
<form method="get" action="/" id="filters">
<label>Since <select name="since">${sinceChoices(since)}</select></label>
<label>Tenant <input name="tenant" value="${h(tenant)}" placeholder="all tenants" size="14"${f?.tenantLocked ? ' readonly title="your credentials are for this tenant"' : ''}></label>
<label>Agent <input name="agent" value="${h(f?.agent ?? '')}" placeholder="any agent" size="14"></label>
<label>Severity <select name="severity"><option value="">any</option>${SEVERITIES.map((s) => `<option value="${s}"${f?.severity === s ? ' selected' : ''}>${s} or worse</option>`).join('')}</select></label>
<button type="submit">Apply</button>
</form>
<label class="live-status" id="live-status" data-refresh-seconds="${refreshSeconds}"><input type="checkbox" id="live-auto" checked> auto-refresh every ${refreshSeconds} s</label>
</div></nav>`;
}

function page(title: string, css: string, bar: string, content: string, refreshSeconds: number): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="bulwark serve">
<title>${h(title)}</title>
<style>${css}${LIVE_CSS}</style>
<script src="/analyst.js" defer></script>
</head>
<body data-refresh-seconds="${refreshSeconds}">
${bar}
<div id="live">${content}</div>
</body>
</html>
`;
}

function notice(message: string, kind: 'warn' | 'err' = 'warn'): string {
  return `<main class="wrap"><div class="card notice ${kind}">${h(message)}</div></main>`;
}

/** Narrows what the agent and severity filters apply to: the session and incident lists. */
function narrow(data: ReportData, f: Filters): ReportData {
  const minRank = f.severity ? SEVERITY_RANK[f.severity] : 0;
  const agentOk = (x: { agentId?: string | undefined; agentName?: string | undefined }) =>
    !f.agent || x.agentId === f.agent || x.agentName === f.agent;
  const incidentOk = (i: ReportData['incidentIndex'][number]) =>
    agentOk(i) && SEVERITY_RANK[i.severity] >= minRank;
  const incidents = data.incidents.filter(incidentOk).slice(0, 10);
  const refusedCalls = data.refusedCalls?.filter(agentOk);
  const shownSessions = new Set(
    [...incidents, ...(refusedCalls ?? [])].map((i) => `${i.tenantId}\u0000${i.sessionId}`),
  );
  return {
    ...data,
    ...(refusedCalls ? { refusedCalls } : {}),
    riskiestSessions: data.riskiestSessions
      .filter((s) => agentOk(s) && s.maxSeverityRank >= minRank)
      .slice(0, 10),
    incidents,
    incidentIndex: data.incidentIndex.filter(incidentOk),
    ...(data.sessionDetails
      ? {
          sessionDetails: data.sessionDetails.filter((s) =>
            shownSessions.has(`${s.tenantId}\u0000${s.sessionId}`),
          ),
        }
      : {}),
  };
}

function excerpt(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > EXCERPT_CHARS ? `${t.slice(0, EXCERPT_CHARS)}…` : t;
}

function eventSummary(e: AgentEvent): { what: string; tool: string; text: string } {
  switch (e.kind) {
    case 'prompt':
      return { what: `prompt (${e.role})`, tool: '', text: e.content };
    case 'completion':
      return {
        what: 'completion',
        tool: e.toolCalls.map((c) => c.toolName).join(', '),
        text: e.content,
      };
    case 'tool_definitions':
      return { what: 'tool definitions', tool: `${e.tools.length} tool(s)`, text: '' };
    case 'tool_call':
      return {
        // What the client enforced (a fallback when no verdict arrived) is the record of what ran.
        what: e.enforced
          ? `tool call · enforced ${e.enforced.decision.replace('_', ' ')}${e.enforced.source === 'verdict' ? '' : ` (${e.enforced.source.replace(/_/g, ' ')})`}`
          : 'tool call',
        tool: e.toolName,
        text: JSON.stringify(e.arguments),
      };
    case 'tool_result':
      return { what: e.isError ? 'tool result (error)' : 'tool result', tool: e.toolName, text: e.content };
    case 'resource_read':
      return { what: 'resource read', tool: e.uri, text: e.content };
    case 'agent_message':
      return { what: `message ${e.direction}`, tool: e.peerAgent, text: e.content };
    default:
      return { what: 'event', tool: '', text: '' };
  }
}

const utc = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

function decisionBadge(d: string): string {
  const c =
    { allow: '#3fb950', alert: '#d29922', require_approval: '#db6d28', block: '#f85149' }[d] ?? '#8b949e';
  return `<span class="badge" style="color:${c};border-color:${c}66;background:${c}1a">${h(d.replace('_', ' '))}</span>`;
}

interface SessionView {
  tenantId: string;
  sessionId: string;
  agentId: string | undefined;
  agentName: string | undefined;
  /** The newest events, at most SESSION_EVENT_LIMIT, oldest first. */
  events: AgentEvent[];
  olderEvents: number;
  verdicts: (VerdictRecord & { verdictId: string })[];
  findings: Finding[];
}

function renderSession(s: SessionView, f: Filters): string {
  type Row = { t: number; order: number; cells: string };
  const timeline: Row[] = [];
  for (const e of s.events) {
    const x = eventSummary(e);
    timeline.push({
      t: e.timestampMillis,
      order: 0,
      cells: `<td class="what">${h(x.what)}</td><td class="mono">${h(x.tool)}</td><td class="txt">${h(excerpt(x.text))}</td>`,
    });
  }
  // After-the-fact verdicts stricter than the inline one the call ran on are marked, as in the report.
  const late = afterTheFactFlags(
    s.verdicts.map((v) => ({
      toolCallId: v.verdict.toolCallId,
      decision: v.verdict.decision,
      origin: v.origin,
    })),
  );
  for (const [i, v] of s.verdicts.entries()) {
    const r = v.verdict;
    timeline.push({
      t: r.timestampMillis,
      order: 1,
      cells: `<td class="what">verdict ${decisionBadge(r.decision)}</td><td class="mono">${h(r.toolName)}</td><td class="txt">${verdictOriginHtml(v.origin, late[i])}${h(`${r.source === 'fallback' ? ' · fallback' : ''}${r.detectorIds.length ? ` · ${r.detectorIds.join(', ')}` : ''}${r.reasons.length ? ` · ${r.reasons.map((x) => x.message).join('; ')}` : ''}`)}</td>`,
    });
  }
  timeline.sort((a, b) => a.t - b.t || a.order - b.order);
  const findings = s.findings
    .slice()
    .sort(
      (a, b) =>
        SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.timestampMillis - b.timestampMillis,
    )
    .map(
      (x) =>
        `<div class="finding"><div><span class="badge">${h(x.severity)}</span> ${decisionBadge(x.decision)} <span class="ft">${h(x.title)}</span> <span class="mono" style="color:var(--muted)">${h(x.detectorId)}${x.toolName ? ` · ${h(x.toolName)}` : ''} · ${h(utc(x.timestampMillis))}</span></div>${x.description ? `<div class="fd">${h(x.description)}</div>` : ''}<div class="ev">${x.evidence
          .map(
            (e) =>
              `<div class="where">${h(e.field ?? 'evidence')}${e.eventId ? `<br><span class="mono">${h(e.eventId)}</span>` : ''}</div><div class="excerpt mono">${h(e.excerpt ?? '(no excerpt)')}</div>${e.note ? `<div class="evnote">${h(e.note)}</div>` : ''}`,
          )
          .join('')}</div></div>`,
    )
    .join('');
  const agent = s.agentName || s.agentId || '-';
  const blocked = s.verdicts.filter((v) => v.verdict.decision === 'block').length;
  const refusedWithoutVerdict = s.events.filter(
    (e) =>
      e.kind === 'tool_call' &&
      e.enforced &&
      e.enforced.source !== 'verdict' &&
      e.enforced.decision !== 'allow',
  ).length;
  return `<main class="wrap" id="session-view">
<p><a class="pivot" href="/?${h(filterQuery(f))}">← back to the overview</a></p>
<div class="card"><h3>Session <span class="mono" id="session-id">${h(s.sessionId)}</span></h3>
<div class="desc">tenant <b>${h(s.tenantId)}</b> · agent <b>${h(agent)}</b> · ${s.events.length + s.olderEvents} events · ${s.verdicts.length} verdicts (${blocked} blocked) · ${s.findings.length} findings${refusedWithoutVerdict > 0 ? ` · <b>${refusedWithoutVerdict} call(s) refused without a verdict</b>` : ''}</div></div>
<h2>Timeline</h2>
<div class="card">${timeline.length ? `<table class="timeline" id="timeline"><thead><tr><th>Time (UTC)</th><th>What</th><th>Tool</th><th>Detail</th></tr></thead><tbody>${timeline.map((r) => `<tr><td class="nw">${h(utc(r.t))}</td>${r.cells}</tr>`).join('')}</tbody></table>` : '<div class="none">Nothing stored for this session.</div>'}${s.olderEvents > 0 ? `<div class="none">${s.olderEvents} older event(s) not shown.</div>` : ''}</div>
<h2>Evidence</h2>
<div class="card" id="evidence">${findings || '<div class="none">No findings for this session.</div>'}</div>
</main>`;
}

function signIn(message: string): string {
  return `<main class="wrap"><div class="card notice" id="signin-card"><h3>Sign in</h3>
<div class="desc">${h(message)}</div>
<form id="signin"><label>API key or token <input type="password" name="key" autocomplete="off" size="40" required></label> <button type="submit">Show</button></form>
<div class="desc">The key stays in this browser tab (session storage) and is sent as <span class="mono">Authorization: Bearer</span>.</div></div></main>`;
}

/**
 * The analyst view of `bulwark serve`: a live page at `GET /` (the report's content, refreshing, filtered by
 * time range, tenant, agent and severity), a session view at `GET /sessions/<id>`, and their data as JSON
 * (`GET /api/report`, `GET /api/sessions/<id>`, `POST /api/hunt`) so `bulwark report` and `bulwark hunt` can
 * read the embedded store while `serve` holds it. Handlers take a plain request value (no socket); the
 * collector authenticates first, and a caller whose credentials name a tenant sees only that tenant.
 *
 * @example
 * const routes = new AnalystRoutes({ store });
 * if (AnalystRoutes.matches(path)) reply(await routes.handle({ method, path, query, auth }));
 */
export class AnalystRoutes {
  private readonly refreshSeconds: number;
  private readonly now: () => number;

  constructor(private readonly options: AnalystRoutesOptions) {
    this.refreshSeconds = options.refreshSeconds ?? 15;
    this.now = options.now ?? Date.now;
  }

  /** Whether `path` is one of the analyst view's routes. */
  static matches(path: string): boolean {
    return (
      path === '/' ||
      path === '/analyst.js' ||
      path === '/api/report' ||
      path === '/api/hunt' ||
      path === '/api/view' ||
      path.startsWith('/sessions/') ||
      path.startsWith('/api/sessions/') ||
      path.startsWith('/api/view/sessions/')
    );
  }

  async handle(req: AnalystRequest): Promise<AnalystResponse> {
    const { path } = req;
    const wanted = path === '/api/hunt' ? 'POST' : 'GET';
    if (req.method !== wanted && !(wanted === 'GET' && req.method === 'HEAD'))
      return jsonError(405, 'method_not_allowed', `${path} accepts ${wanted} only`, { allow: wanted });
    // The script holds no data: it loads without credentials, so the sign-in page can run it.
    if (path === '/analyst.js')
      return {
        status: 200,
        headers: {
          'content-type': 'text/javascript; charset=utf-8',
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
        },
        body: ANALYST_SCRIPT,
      };
    const isPage = path === '/' || path.startsWith('/sessions/');
    if (!req.auth.ok) {
      const headers: Record<string, string> = req.auth.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
      if (isPage)
        return html(
          req.auth.status,
          page(
            'Bulwark live · sign in',
            REPORT_CSS,
            toolbar(undefined, this.refreshSeconds),
            signIn(req.auth.message),
            this.refreshSeconds,
          ),
          headers,
        );
      return jsonError(req.auth.status, req.auth.code, req.auth.message, headers);
    }
    const store = this.options.store;
    if (!store) {
      const message =
        'this collector stores no events, so there is nothing to show: run `bulwark serve` with an event store (BULWARK_STORE, see collector/README.md)';
      return isPage
        ? html(503, page('Bulwark live', REPORT_CSS, toolbar(undefined, 15), notice(message, 'err'), 15))
        : jsonError(503, 'no_event_store', message);
    }
    if (path === '/api/hunt') return this.hunt(store, req);
    const filters = this.filters(req);
    if (!filters.ok)
      return isPage
        ? html(
            400,
            page(
              'Bulwark live',
              REPORT_CSS,
              toolbar(undefined, this.refreshSeconds),
              notice(filters.message, 'err'),
              this.refreshSeconds,
            ),
          )
        : jsonError(filters.status, filters.code, filters.message);
    const f = filters.value;
    try {
      if (path === '/api/report') return await this.reportJson(store, f, req.query);
      const sessionPath = /^\/(?:api\/view\/|api\/)?sessions\/(.+)$/.exec(path);
      if (sessionPath) {
        let sessionId: string;
        try {
          sessionId = decodeURIComponent(sessionPath[1]!);
        } catch {
          return jsonError(
            400,
            'invalid_request',
            'the session id in the path is not valid percent-encoding',
          );
        }
        return await this.session(store, f, sessionId, path);
      }
      const fragment = await this.overview(store, f);
      if (path === '/api/view') return json(200, { html: fragment, updatedMillis: f.untilMillis });
      return html(
        200,
        page('Bulwark live', REPORT_CSS, toolbar(f, this.refreshSeconds), fragment, this.refreshSeconds),
      );
    } catch (err) {
      if (!(err instanceof QueryFailed)) throw err;
      const message = `reading the event store failed (${err.message}); the page retries on its next refresh`;
      return isPage
        ? html(
            503,
            page(
              'Bulwark live',
              REPORT_CSS,
              toolbar(f, this.refreshSeconds),
              notice(message, 'err'),
              this.refreshSeconds,
            ),
            { 'retry-after': '5' },
          )
        : jsonError(503, 'store_unavailable', message, { 'retry-after': '5' });
    }
  }

  private filters(req: AnalystRequest): Outcome<Filters> {
    const q = req.query;
    const now = this.now();
    const bad = (message: string): Outcome<Filters> => ({
      ok: false,
      status: 400,
      code: 'invalid_request',
      message,
    });
    const since = (q.get('since') ?? '24h').trim() || '24h';
    const s = parseSince(since, now);
    if (!s.ok) return bad(s.message.replace('--since', 'since'));
    let untilMillis = now;
    const until = q.get('until');
    if (until) {
      const u = parseSince(until, now);
      if (!u.ok) return bad(u.message.replace('--since', 'until'));
      untilMillis = Math.min(now, u.millis);
    }
    if (s.millis >= untilMillis) return bad(`since "${since}" is not before the end of the range`);
    const severity = (q.get('severity') ?? '').trim();
    if (severity && !SEVERITIES.includes(severity as Severity))
      return bad(`severity "${severity}" is not one of ${SEVERITIES.join(', ')} (or empty for any)`);
    const principalTenant = req.auth.ok ? req.auth.principal.tenantId : undefined;
    const asked = (q.get('tenant') ?? '').trim();
    // Credentials that name a tenant see that tenant only, whatever the query asks for.
    if (principalTenant !== undefined && asked !== '' && asked !== principalTenant)
      return {
        ok: false,
        status: 403,
        code: 'tenant_forbidden',
        message: `your credentials are for tenant "${principalTenant}": drop the tenant filter or use its credentials`,
      };
    return {
      ok: true,
      value: {
        since,
        sinceMillis: s.millis,
        untilMillis,
        tenantId: principalTenant ?? asked,
        tenantLocked: principalTenant !== undefined,
        agent: (q.get('agent') ?? '').trim(),
        severity: severity as Severity | '',
      },
    };
  }

  private async load(store: EventStore, f: Filters, incidentLimit = 10): Promise<ReportData> {
    const narrowing = f.agent !== '' || f.severity !== '';
    const res = await loadReportData(store, {
      sinceMillis: f.sinceMillis,
      untilMillis: f.untilMillis,
      ...(f.tenantId ? { tenantId: f.tenantId } : {}),
      // Filtered afterwards, so read more than is shown.
      incidentLimit: narrowing ? Math.max(50, incidentLimit) : incidentLimit,
      sessionLimit: narrowing ? 200 : 10,
      title: 'Bulwark live',
    });
    if (!res.ok) throw new QueryFailed(`${res.reason}: ${res.message}`);
    return narrowing ? narrow(res.data, f) : res.data;
  }

  private async overview(store: EventStore, f: Filters): Promise<string> {
    const data = await this.load(store, f);
    const { body } = reportParts(renderReport(data));
    // The report links a session to its section in the document; here the pivot is the session view.
    const hrefs = new Map<string, string>();
    for (const s of [...data.riskiestSessions, ...data.incidentIndex, ...(data.sessionDetails ?? [])])
      hrefs.set(sessionAnchor(s), sessionHref(s, f));
    const linked = body.replace(/href="#(session-[A-Za-z0-9_-]+)"/g, (m, a: string) =>
      hrefs.has(a) ? `href="${h(hrefs.get(a))}"` : m,
    );
    const seen = new Set<string>();
    const links: string[] = [];
    for (const s of [...data.incidentIndex, ...data.riskiestSessions]) {
      const key = `${s.tenantId}\u0000${s.sessionId}`;
      if (seen.has(key) || links.length >= 30) continue;
      seen.add(key);
      links.push(
        `<a href="${h(sessionHref(s, f))}">${h(s.sessionId)}</a>${s.agentName || s.agentId ? ` <span style="color:var(--muted)">(${h(s.agentName || s.agentId)})</span>` : ''}`,
      );
    }
    const narrowed =
      f.agent || f.severity
        ? `<div class="card notice">Agent and severity filters narrow the session and incident lists; charts and totals cover the time range${f.tenantId ? ' and tenant' : ''}.</div>`
        : '';
    const nav = `<div class="card" style="margin-top:16px"><h3>Sessions</h3><div class="desc">Open a session for its timeline and evidence.</div><div class="sessions-nav" id="session-links">${links.join('') || '<span class="none">No session with findings or incidents in this range.</span>'}</div></div>`;
    return linked.replace('<main class="wrap">', `<main class="wrap">${narrowed}${nav}`);
  }

  private async sessionData(store: EventStore, f: Filters, sessionId: string): Promise<SessionView> {
    const tenantId = f.tenantId || 'default';
    const key = { tenantId, sessionId };
    const events = await rows(store, QUERIES.sessionEvents, key);
    const verdicts = await rows(store, QUERIES.sessionVerdicts, key);
    const findings = await rows(store, QUERIES.sessionFindings, key);
    const agentId = events.find((e) => e.agentId)?.agentId ?? verdicts.find((v) => v.agentId)?.agentId;
    const agentName = events.find((e) => e.agentName)?.agentName;
    return {
      tenantId,
      sessionId,
      agentId,
      agentName,
      events: events.slice(-SESSION_EVENT_LIMIT),
      olderEvents: Math.max(0, events.length - SESSION_EVENT_LIMIT),
      verdicts,
      findings,
    };
  }

  private async session(
    store: EventStore,
    f: Filters,
    sessionId: string,
    path: string,
  ): Promise<AnalystResponse> {
    const s = await this.sessionData(store, f, sessionId);
    if (path.startsWith('/api/sessions/')) return json(200, s);
    const fragment = renderSession(s, f);
    if (path.startsWith('/api/view/')) return json(200, { html: fragment, updatedMillis: f.untilMillis });
    return html(
      200,
      page(
        `Bulwark live · session ${sessionId}`,
        REPORT_CSS,
        toolbar(f, this.refreshSeconds),
        fragment,
        this.refreshSeconds,
      ),
    );
  }

  private async reportJson(store: EventStore, f: Filters, q: URLSearchParams): Promise<AnalystResponse> {
    const incidents = q.get('incidents');
    let incidentLimit = 10;
    if (incidents !== null) {
      if (!/^\d+$/.test(incidents) || Number(incidents) > 1000)
        return jsonError(
          400,
          'invalid_request',
          `incidents "${incidents}" must be a whole number from 0 to 1000`,
        );
      incidentLimit = Number(incidents);
    }
    const data = await this.load(store, f, incidentLimit);
    const title = q.get('title');
    if (title) data.title = title;
    else data.title = 'Bulwark security report';
    return json(200, q.get('html') === '1' ? { data, html: renderReport(data) } : { data });
  }

  private async hunt(store: EventStore, req: AnalystRequest): Promise<AnalystResponse> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const since = body.since;
    if (typeof since !== 'string')
      return jsonError(
        400,
        'invalid_request',
        'send {"since": "<ISO time or 24h>"} (tenant, limit and policy optional)',
      );
    const s = parseSince(since, this.now());
    if (!s.ok) return jsonError(400, 'invalid_request', s.message.replace('--since', 'since'));
    const limit = body.limit ?? 10_000;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100_000)
      return jsonError(400, 'invalid_request', 'limit must be a whole number from 1 to 100000');
    const principalTenant = req.auth.ok ? req.auth.principal.tenantId : undefined;
    const asked = typeof body.tenant === 'string' ? body.tenant : '';
    if (principalTenant !== undefined && asked !== '' && asked !== principalTenant)
      return jsonError(403, 'tenant_forbidden', `your credentials are for tenant "${principalTenant}"`);
    const tenantId = principalTenant ?? asked;
    let policy: Policy | undefined;
    if (typeof body.policy === 'string') {
      try {
        policy = parsePolicy(body.policy);
      } catch (e) {
        if (e instanceof PolicyError)
          return jsonError(400, 'invalid_policy', `policy: ${e.issues.join('; ')}`);
        throw e;
      }
    }
    const res = await runRetroHunt({
      store,
      sinceMillis: s.millis,
      maxSessions: limit,
      ...(tenantId ? { tenantId } : {}),
      createEngine: () => new DetectionEngine(policy ? { policy } : {}),
    });
    if (!res.ok)
      return jsonError(503, 'store_unavailable', `reading the store failed (${res.reason}): ${res.message}`, {
        'retry-after': '5',
      });
    return json(200, { report: res.report });
  }
}
