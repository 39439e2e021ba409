import { escapeHtml } from './escape-html.js';

/** One stacked series: its key in the bucket values, legend label and fill color. */
export interface ChartSeries {
  key: string;
  label: string;
  color: string;
}

/** One time bucket of a stacked bar chart. */
export interface StackedBucket {
  startMillis: number;
  values: Readonly<Record<string, number>>;
}

export interface StackedBarChartOptions {
  series: readonly ChartSeries[];
  buckets: readonly StackedBucket[];
  bucketMillis: number;
  /** Accessible name of the chart. */
  title: string;
  width?: number;
  height?: number;
}

export interface HorizontalBar {
  label: string;
  value: number;
  /** Extra text after the value, e.g. `in 3 sessions`. */
  note?: string;
  /** Bar color; default the chart's. */
  color?: string;
}

export interface HorizontalBarChartOptions {
  bars: readonly HorizontalBar[];
  color: string;
  title: string;
  width?: number;
  labelWidth?: number;
  unit?: string;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * `YYYY-MM-DD HH:MM:SS` in UTC: every date and time a reader may copy into a query or a ticket (the short
 * `formatUtc` is for axis ticks only).
 */
export function formatUtcFull(millis: number): string {
  return new Date(millis).toISOString().slice(0, 19).replace('T', ' ');
}

/** `MM-DD HH:MM` (or `HH:MM`) in UTC: the report is a static file, so it names its time zone once and sticks to it. */
export function formatUtc(millis: number, withDate = true): string {
  const d = new Date(millis);
  const time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  return withDate ? `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${time}` : time;
}

/**
 * A round axis: a step of 1, 2, 2.5 or 5 × 10^n (whole numbers only, since the charts count things) and
 * the smallest multiple of it at or above `max`, for about `ticks` grid lines.
 */
export function niceScale(max: number, ticks = 4): { max: number; step: number } {
  if (!(max > 0)) return { max: ticks, step: 1 };
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  let step = 10 * magnitude;
  for (const f of [1, 2, 2.5, 5]) {
    const candidate = f * magnitude;
    if (candidate >= raw && Number.isInteger(candidate)) {
      step = candidate;
      break;
    }
  }
  step = Math.max(1, step);
  return { max: step * Math.max(1, Math.ceil(max / step)), step };
}

const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(1));

/**
 * Stacked bars over time as inline SVG: one `rect.mark` per non-zero segment, a `<title>` on each for the
 * tooltip, y grid lines and UTC time labels. No script, no external resource.
 *
 * @example
 * stackedBarChart({ title: 'Decisions', bucketMillis: 3_600_000, series: [{ key: 'block', label: 'block', color: '#f85149' }],
 *   buckets: [{ startMillis: 0, values: { block: 3 } }] });
 */
export function stackedBarChart(options: StackedBarChartOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 220;
  const m = { left: 44, right: 12, top: 12, bottom: 26 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const n = options.buckets.length;
  const totals = options.buckets.map((b) => options.series.reduce((s, x) => s + (b.values[x.key] ?? 0), 0));
  const scale = niceScale(Math.max(0, ...totals));
  const yMax = scale.max;
  const y = (v: number) => m.top + plotH - (v / yMax) * plotH;
  const parts: string[] = [];
  for (let v = 0; v <= yMax; v += scale.step) {
    const yy = y(v).toFixed(1);
    parts.push(`<line class="grid" x1="${m.left}" x2="${width - m.right}" y1="${yy}" y2="${yy}"/>`);
    parts.push(
      `<text class="tick" x="${m.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${fmt(v)}</text>`,
    );
  }
  if (n === 0 || totals.every((t) => t === 0)) {
    parts.push(
      `<text class="empty" x="${m.left + plotW / 2}" y="${m.top + plotH / 2}" text-anchor="middle">No data in this range</text>`,
    );
  }
  const slot = n > 0 ? plotW / n : plotW;
  const barW = Math.max(1, slot * 0.78);
  // Dates on the first label and at midnight when the range spans days; times only otherwise.
  const spanDays = n * options.bucketMillis > 86_400_000;
  const withDate = (i: number, t: number) => spanDays && (i === 0 || t % 86_400_000 === 0);
  const labelEvery = Math.max(1, Math.ceil(n / Math.max(4, Math.floor(plotW / 95))));
  options.buckets.forEach((b, i) => {
    const x = m.left + i * slot + (slot - barW) / 2;
    let acc = 0;
    for (const s of options.series) {
      const v = b.values[s.key] ?? 0;
      if (v <= 0) continue;
      const top = y(acc + v);
      const h = y(acc) - top;
      acc += v;
      parts.push(
        `<rect class="mark" data-series="${escapeHtml(s.key)}" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(h, 0.5).toFixed(1)}" fill="${escapeHtml(s.color)}"><title>${escapeHtml(`${formatUtcFull(b.startMillis)} UTC · ${s.label}: ${fmt(v)}`)}</title></rect>`,
      );
    }
    if (i % labelEvery === 0) {
      parts.push(
        `<text class="tick" x="${(m.left + i * slot + slot / 2).toFixed(1)}" y="${height - 8}" text-anchor="middle">${escapeHtml(formatUtc(b.startMillis, withDate(i, b.startMillis)))}</text>`,
      );
    }
  });
  parts.push(`<line class="axis" x1="${m.left}" x2="${width - m.right}" y1="${y(0)}" y2="${y(0)}"/>`);
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(options.title)}" preserveAspectRatio="xMidYMid meet">${parts.join('')}</svg>`;
}

/**
 * Horizontal bars, one per row, longest first as given: label on the left, value (and note) after the bar.
 *
 * @example
 * horizontalBarChart({ title: 'Top blocked tools', color: '#f85149', bars: [{ label: 'send_email', value: 5 }] });
 */
export function horizontalBarChart(options: HorizontalBarChartOptions): string {
  const width = options.width ?? 520;
  const row = 28;
  const labelW = options.labelWidth ?? 150;
  const valueW = 120;
  const height = Math.max(1, options.bars.length) * row + 8;
  const max = Math.max(1, ...options.bars.map((b) => b.value));
  const barArea = width - labelW - valueW - 16;
  const parts: string[] = [];
  if (options.bars.length === 0) {
    parts.push(
      `<text class="empty" x="${width / 2}" y="${row / 2 + 4}" text-anchor="middle">Nothing in this range</text>`,
    );
  }
  options.bars.forEach((b, i) => {
    const yTop = 4 + i * row;
    const w = Math.max(2, (b.value / max) * barArea);
    const label = b.label.length > 22 ? `${b.label.slice(0, 21)}…` : b.label;
    parts.push(
      `<text class="label" x="${labelW - 8}" y="${yTop + row / 2}" text-anchor="end" dominant-baseline="middle">${escapeHtml(label)}</text>`,
      `<rect class="track" x="${labelW}" y="${yTop + 5}" width="${barArea}" height="${row - 10}" rx="3"/>`,
      // A zero draws no mark: the marks are the data.
      b.value > 0
        ? `<rect class="mark" x="${labelW}" y="${yTop + 5}" width="${w.toFixed(1)}" height="${row - 10}" rx="3" fill="${escapeHtml(b.color ?? options.color)}"><title>${escapeHtml(`${b.label}: ${fmt(b.value)}${options.unit ? ` ${options.unit}` : ''}${b.note ? ` (${b.note})` : ''}`)}</title></rect>`
        : '',
      `<text class="value" x="${labelW + barArea + 8}" y="${yTop + row / 2}" dominant-baseline="middle">${escapeHtml(fmt(b.value))}${b.note ? `<tspan class="note"> ${escapeHtml(b.note)}</tspan>` : ''}</text>`,
    );
  });
  return `<svg class="chart hbar" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(options.title)}" preserveAspectRatio="xMinYMin meet">${parts.join('')}</svg>`;
}
