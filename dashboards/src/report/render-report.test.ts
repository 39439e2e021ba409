import { describe, expect, it } from 'vitest';
import {
  afterTheFactFlags,
  incidentBlocks,
  incidentTitle,
  type ReportData,
  type ReportIncident,
} from './load-report-data.js';
import { bucketLabel, renderReport, verdictOriginHtml } from './render-report.js';
import { horizontalBarChart, niceScale, stackedBarChart } from './svg-charts.js';

const HOUR = 3_600_000;
const since = Date.UTC(2025, 0, 31, 0, 0, 0);

function data(overrides: Partial<ReportData> = {}): ReportData {
  const buckets = Array.from({ length: 24 }, (_, i) => ({
    startMillis: since + i * HOUR,
    values: {} as Record<string, number>,
  }));
  return {
    title: 'Bulwark security report',
    storeKind: 'chdb',
    tenantId: '',
    sinceMillis: since,
    untilMillis: since + 24 * HOUR,
    bucketMillis: HOUR,
    decisionBuckets: buckets,
    detectorBuckets: buckets,
    detectors: [],
    topBlockedTools: [],
    findingsBySeverity: { info: 0, low: 0, medium: 0, high: 0, critical: 0 },
    riskiestSessions: [],
    incidents: [],
    incidentIndex: [],
    totals: {
      decisions: 0,
      blocked: 0,
      activeSessions: 0,
      findings: 0,
      sessionsAtRisk: 0,
      openIncidents: 0,
      incidents: 0,
    },
    ...overrides,
  };
}

describe('renderReport', () => {
  it('renders an empty range with empty-state messages and no marks', () => {
    const html = renderReport(data());
    expect(html).toContain('No data in this range');
    expect(html).toContain('No incident in this range.');
    expect(html).not.toContain('class="mark"');
  });

  it('escapes every stored value (attacker text stays text)', () => {
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const incident = {
      dedupKey: evil,
      tenantId: 'acme',
      sessionId: evil,
      agentId: evil,
      state: 'open' as const,
      severity: 'critical' as const,
      title: evil,
      summary: evil,
      detectorIds: [evil],
      firstSeenMillis: since,
      lastSeenMillis: since,
      findings: [
        {
          findingId: 'f',
          detectorId: evil,
          severity: 'high' as const,
          decision: 'block' as const,
          title: evil,
          description: evil,
          tenantId: 'acme',
          sessionId: 's',
          evidence: [{ eventId: evil, field: evil, excerpt: evil, note: evil }],
          timestampMillis: since,
        },
      ],
    };
    const html = renderReport(
      data({
        title: evil,
        tenantId: evil,
        incidents: [incident],
        incidentIndex: [incident],
        topBlockedTools: [{ tenantId: 'acme', toolName: evil, blockedCalls: 2, sessions: 1 }],
        detectors: [evil],
      }),
    );
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Anchors built from ids keep to safe characters.
    expect(html).toMatch(/id="incident-acme-[A-Za-z0-9_-]+"/);
  });

  it('names the bucket of short ranges in minutes, never "0-hour"', () => {
    expect(bucketLabel(300_000)).toBe('5-minute');
    expect(bucketLabel(60_000)).toBe('1-minute');
    expect(bucketLabel(HOUR)).toBe('1-hour');
    expect(bucketLabel(3 * HOUR)).toBe('3-hour');
    expect(bucketLabel(24 * HOUR)).toBe('1-day');
    const html = renderReport(data({ untilMillis: since + 2 * HOUR, bucketMillis: 300_000 }));
    expect(html).toContain('Verdicts per 5-minute bucket');
    expect(html).not.toContain('0-hour');
  });

  it('shows dates with the year and times with seconds', () => {
    const html = renderReport(data({ untilMillis: since + 24 * HOUR + 7_000 }));
    expect(html).toContain('2025-01-31 00:00:00 → 2025-02-01 00:00:07 UTC');
  });

  it('shows the agent name, titles incidents by their block and links each incident to its session', () => {
    const incident: ReportIncident = {
      dedupKey: 'acme/s1',
      tenantId: 'acme',
      sessionId: 's1',
      agentId: undefined,
      agentName: 'travel-agent',
      state: 'open',
      severity: 'high',
      title: 'Blocked send_email (exfil.sensitive-flow)',
      alertTitle: 'HIGH finding in session s1',
      summary: '',
      detectorIds: ['exfil.sensitive-flow'],
      firstSeenMillis: since,
      lastSeenMillis: since + 1_000,
      findings: [],
    };
    const html = renderReport(
      data({
        incidents: [incident],
        incidentIndex: [incident],
        riskiestSessions: [
          {
            tenantId: 'acme',
            sessionId: 's1',
            agentId: undefined,
            agentName: 'travel-agent',
            firstSeenMillis: since,
            lastSeenMillis: since + 1_000,
            events: 3,
            toolCalls: 2,
            findings: 1,
            blockingFindings: 1,
            maxSeverityRank: 3,
          },
        ],
        sessionDetails: [
          {
            tenantId: 'acme',
            sessionId: 's1',
            agentId: undefined,
            agentName: 'travel-agent',
            firstSeenMillis: since,
            lastSeenMillis: since + 1_000,
            events: 3,
            toolCalls: 2,
            verdicts: [
              {
                timestampMillis: since + 1_000,
                toolName: 'send_email',
                decision: 'block',
                origin: 'inline',
                source: 'engine',
                detectorIds: ['exfil.sensitive-flow'],
              },
            ],
            olderVerdicts: 0,
          },
        ],
      }),
    );
    const sessions = html.slice(
      html.indexOf('id="riskiest-sessions"'),
      html.indexOf('</table>', html.indexOf('id="riskiest-sessions"')),
    );
    expect(sessions).toContain('travel-agent');
    expect(html).toContain('<span class="title">Blocked send_email (exfil.sensitive-flow)</span>');
    expect(html).toContain('alert <b>HIGH finding in session s1</b>');
    // Incident card, index and sessions table all pivot to the session section.
    expect(html.match(/href="#session-acme-s1"/g)?.length).toBe(3);
    expect(html).toContain('id="session-acme-s1"');
    expect(html).toContain('Sessions behind the incidents');
  });

  it('shows the calls refused without a verdict: KPI with the split by source, and one row per call', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const refused = (over: Partial<NonNullable<ReportData['refusedCalls']>[number]>) => ({
      tenantId: 'acme',
      sessionId: 's1',
      agentId: undefined,
      agentName: 'notes-agent',
      toolCallId: 'c1',
      toolName: 'add_note',
      timestampMillis: since + 7_000,
      enforcedDecision: 'block',
      enforcedSource: 'fallback_timeout',
      enforcedReason: 'no verdict within 500 ms',
      verdictDecision: 'allow',
      streamDecision: undefined,
      differs: true,
      ...over,
    });
    const html = renderReport(
      data({
        enforced: {
          refusedWithoutVerdict: 3,
          refusedBySource: { fallback_timeout: 2, fallback_unavailable: 1 },
          allowedWithoutVerdict: 0,
          differing: 3,
          reported: 5,
        },
        refusedCalls: [
          refused({
            toolCallId: 'c3',
            sessionId: evil,
            toolName: evil,
            enforcedReason: evil,
            agentName: evil,
          }),
          refused({ toolCallId: 'c2', enforcedSource: 'fallback_unavailable', verdictDecision: '' }),
          refused({ streamDecision: 'block' }),
        ],
        sessionDetails: [
          {
            tenantId: 'acme',
            sessionId: 's1',
            agentId: undefined,
            agentName: 'notes-agent',
            firstSeenMillis: since,
            lastSeenMillis: since + 9_000,
            events: 4,
            toolCalls: 3,
            verdicts: [
              {
                timestampMillis: since + 7_400,
                toolName: 'add_note',
                decision: 'allow',
                origin: 'inline',
                source: 'engine',
                detectorIds: [],
                toolCallId: 'c1',
              },
              {
                timestampMillis: since + 8_000,
                toolName: 'add_note',
                decision: 'block',
                origin: 'stream',
                source: 'engine',
                detectorIds: ['injection.chain'],
                toolCallId: 'c1',
                afterTheFact: true,
              },
            ],
            enforcedCalls: [
              {
                toolCallId: 'c1',
                toolName: 'add_note',
                timestampMillis: since + 7_000,
                decision: 'block',
                source: 'fallback_timeout',
                reason: '',
                inlineDecision: 'allow',
                differs: true,
              },
              {
                toolCallId: 'c2',
                toolName: 'add_note',
                timestampMillis: since + 9_000,
                decision: 'block',
                source: 'fallback_unavailable',
                reason: '',
                inlineDecision: '',
                differs: true,
              },
            ],
            olderVerdicts: 0,
          },
        ],
      }),
    );
    const tile = html.slice(
      html.indexOf('id="kpi-refused"'),
      html.indexOf('</div></div>', html.indexOf('id="kpi-refused"')),
    );
    expect(tile).toContain('Refused without a verdict');
    expect(tile).toContain('<div class="value">3</div>');
    expect(tile).toContain('timeout 2 · unavailable 1');
    const section = html.slice(
      html.indexOf('<div class="card" id="refused-calls">'),
      html.indexOf('</table>', html.indexOf('id="refused-calls"')),
    );
    expect(section.match(/<tr>/g)).toHaveLength(4); // header + 3 calls
    expect(section).toContain('fallback: timeout');
    expect(section).toContain('fallback: unavailable');
    expect(section).toContain('none recorded');
    expect(section).toContain('<span class="differs">differs</span>');
    expect(section).toContain('after the fact');
    // The session of a refused call links to its section, which shows what the agent enforced.
    expect(section).toContain('href="#session-acme-s1"');
    expect(section).not.toContain('<img');
    expect(section).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const session = html.slice(html.indexOf('id="session-acme-s1"'));
    expect(session).toContain('Enforced by the agent');
    expect(session).toContain('<tr class="late">');
    expect(session).toContain('executed · would have been blocked');
    // c2 has no verdict at all: a row of its own.
    expect(session).toContain('no verdict');
    expect(html).toContain('Sessions behind the incidents and refused calls');
  });

  it('says when no call was refused without a verdict', () => {
    const html = renderReport(data());
    expect(html).toContain('No call was refused without a verdict in this range.');
    expect(html).toContain('no agent failed closed');
  });

  it('marks an incident found after the fact distinctly in the card and the index', () => {
    const incident: ReportIncident = {
      dedupKey: 'late',
      tenantId: 'acme',
      sessionId: 's9',
      agentId: undefined,
      state: 'open',
      severity: 'critical',
      title: 'Executed, would have been blocked: send_money (injection.chain)',
      summary: '',
      detectorIds: ['engine.late-evidence', 'injection.chain'],
      afterTheFact: true,
      firstSeenMillis: since,
      lastSeenMillis: since,
      findings: [],
    };
    const html = renderReport(data({ incidents: [incident], incidentIndex: [incident] }));
    expect(html).toContain('class="card incident late"');
    expect(html.match(/executed · would have been blocked<\/span>/g)).toHaveLength(2);
    expect(verdictOriginHtml('inline')).toBe('inline');
    expect(verdictOriginHtml('<b>')).toBe('&lt;b&gt;');
  });

  it('forbids every request with a Content-Security-Policy and references nothing external', () => {
    const html = renderReport(data());
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/@import|url\(/);
  });
});

describe('svg charts', () => {
  it('picks whole-number axis steps', () => {
    expect(niceScale(17)).toEqual({ max: 20, step: 5 });
    expect(niceScale(4)).toEqual({ max: 4, step: 1 });
    expect(niceScale(3)).toEqual({ max: 3, step: 1 });
    expect(niceScale(0)).toEqual({ max: 4, step: 1 });
    expect(niceScale(1234)).toEqual({ max: 1500, step: 500 });
  });

  it('draws one mark per non-zero stacked segment and per bar', () => {
    const svg = stackedBarChart({
      title: 't',
      bucketMillis: HOUR,
      series: [
        { key: 'a', label: 'a', color: '#f00' },
        { key: 'b', label: 'b', color: '#0f0' },
      ],
      buckets: [
        { startMillis: since, values: { a: 1, b: 2 } },
        { startMillis: since + HOUR, values: { a: 0, b: 3 } },
      ],
    });
    expect(svg.match(/class="mark"/g)).toHaveLength(3);
    expect(svg).toContain('<title>2025-01-31 00:00:00 UTC · b: 2</title>');
    expect(
      horizontalBarChart({ title: 'h', color: '#f00', bars: [{ label: 'x', value: 1 }] }).match(
        /class="mark"/g,
      ),
    ).toHaveLength(1);
  });
});

describe('incident titles', () => {
  const inc = {
    tenantId: 't',
    sessionId: 's',
    detectorIds: ['exfil'],
    firstSeenMillis: since,
    lastSeenMillis: since + 60_000,
  };
  const block = (toolName: string, detectorIds: string[], origin = 'inline', at = since) => ({
    tenantId: 't',
    sessionId: 's',
    toolName,
    detectorIds,
    origin,
    timestampMillis: at,
  });

  it('names the blocks of the incident, its own detectors first, inside its time window', () => {
    const blocks = incidentBlocks(inc, [
      block('send_email', ['exfil']),
      block('send_email', ['exfil']),
      block('delete_file', ['other']),
      block('post', ['exfil'], 'inline', since + 3_600_000),
      { ...block('send_email', ['exfil']), sessionId: 'other' },
    ]);
    expect(blocks).toEqual([
      { toolName: 'send_email', calls: 2, detectorIds: ['exfil'], origins: ['inline'] },
    ]);
    expect(incidentTitle(blocks, 'Alert')).toBe('Blocked send_email ×2 (exfil)');
  });

  it('says "Executed, would have been blocked" for blocks found only after the fact, and keeps the alert title without blocks', () => {
    expect(incidentTitle(incidentBlocks(inc, [block('send_email', ['exfil'], 'stream')]), 'Alert')).toBe(
      'Executed, would have been blocked: send_email (exfil)',
    );
    expect(incidentTitle([], 'HIGH finding')).toBe('HIGH finding');
  });

  it('names the after-the-fact block of a late-evidence incident even when the session has inline blocks', () => {
    const late = { ...inc, detectorIds: ['exfil', 'engine.late-evidence'] };
    const blocks = incidentBlocks(late, [
      block('delete_file', ['exfil']),
      block('send_email', ['exfil', 'engine.late-evidence'], 'stream'),
    ]);
    expect(incidentTitle(blocks, 'Alert', true)).toBe(
      'Executed, would have been blocked: send_email (exfil)',
    );
    expect(incidentTitle(blocks, 'Alert')).toBe('Blocked delete_file (exfil)');
  });

  it('flags stream verdicts stricter than the inline one on the same call', () => {
    expect(
      afterTheFactFlags([
        { toolCallId: 'c1', decision: 'allow', origin: 'inline' },
        { toolCallId: 'c1', decision: 'block', origin: 'stream' },
        { toolCallId: 'c2', decision: 'block', origin: 'inline' },
        { toolCallId: 'c2', decision: 'block', origin: 'stream' },
        { toolCallId: 'c3', decision: 'alert', origin: 'stream' },
      ]),
    ).toEqual([false, true, false, false, true]);
  });
});
