/** Default collector base URL; every SDK `url` option takes a base URL and appends the endpoint path. */
export const DEFAULT_COLLECTOR_URL = 'http://127.0.0.1:4318';

/** Endpoint paths of a Bulwark collector (OTLP/HTTP traces and the verdict API). */
export type CollectorPath = '/v1/traces' | '/v1/verdicts' | '/v1/approvals/wait';

// Longest first: `/v1/approvals/wait` before `/v1/approvals`.
const ENDPOINT_PATHS: readonly string[] = [
  '/v1/approvals/wait',
  '/v1/approvals',
  '/v1/traces',
  '/v1/verdicts',
];

/**
 * The one URL rule of the SDK: options take the collector's base URL (any path prefix kept, e.g. behind a
 * reverse proxy) and the endpoint path is appended. A URL that already ends in an endpoint path (the full
 * `/v1/traces` URL older examples used) is normalised, so both spellings reach the same endpoint.
 *
 * @example
 * collectorEndpoint(new URL('http://127.0.0.1:4318'), '/v1/traces').href; // 'http://127.0.0.1:4318/v1/traces'
 * collectorEndpoint(new URL('http://h/bulwark/v1/traces'), '/v1/verdicts').href; // 'http://h/bulwark/v1/verdicts'
 */
export function collectorEndpoint(url: URL, path: CollectorPath): URL {
  const out = new URL(url.href);
  let base = out.pathname.replace(/\/+$/, '');
  for (const p of ENDPOINT_PATHS) {
    if (base.endsWith(p)) {
      base = base.slice(0, -p.length);
      break;
    }
  }
  out.pathname = `${base}${path}`;
  return out;
}
