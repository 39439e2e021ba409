import { describe, expect, it } from 'vitest';
import type { ReportData } from './load-report-data.js';
import { renderReport } from './render-report.js';
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
    expect(svg).toContain('<title>01-31 00:00 UTC · b: 2</title>');
    expect(
      horizontalBarChart({ title: 'h', color: '#f00', bars: [{ label: 'x', value: 1 }] }).match(
        /class="mark"/g,
      ),
    ).toHaveLength(1);
  });
});
