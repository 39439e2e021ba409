import { describe, expect, it } from 'vitest';
import { collectorEndpoint } from './collector-url.js';

describe('collectorEndpoint', () => {
  it('appends the endpoint path to a base URL, with or without a trailing slash', () => {
    expect(collectorEndpoint(new URL('http://127.0.0.1:4318'), '/v1/traces').href).toBe(
      'http://127.0.0.1:4318/v1/traces',
    );
    expect(collectorEndpoint(new URL('http://127.0.0.1:4318/'), '/v1/verdicts').href).toBe(
      'http://127.0.0.1:4318/v1/verdicts',
    );
  });

  it('keeps a path prefix (reverse proxy) and the query', () => {
    expect(collectorEndpoint(new URL('https://gw.example/bulwark/?x=1'), '/v1/traces').href).toBe(
      'https://gw.example/bulwark/v1/traces?x=1',
    );
  });

  it('normalises a full endpoint URL, whichever endpoint it names', () => {
    expect(collectorEndpoint(new URL('http://h:4318/v1/traces'), '/v1/traces').href).toBe(
      'http://h:4318/v1/traces',
    );
    expect(collectorEndpoint(new URL('http://h:4318/v1/traces/'), '/v1/verdicts').href).toBe(
      'http://h:4318/v1/verdicts',
    );
    expect(collectorEndpoint(new URL('http://h/p/v1/verdicts'), '/v1/traces').href).toBe(
      'http://h/p/v1/traces',
    );
  });

  it('builds the approvals wait URL on the same base, keeping a prefix', () => {
    expect(collectorEndpoint(new URL('https://gw.example/bulwark'), '/v1/approvals/wait').href).toBe(
      'https://gw.example/bulwark/v1/approvals/wait',
    );
    expect(collectorEndpoint(new URL('http://h:4318/v1/verdicts'), '/v1/approvals/wait').href).toBe(
      'http://h:4318/v1/approvals/wait',
    );
  });
});
