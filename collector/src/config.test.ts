import { describe, expect, it } from 'vitest';
import { isLoopbackHost, loadCollectorConfig, parseCidr } from './config.js';

describe('loadCollectorConfig', () => {
  it('uses defaults, then env, then code options', () => {
    const d = loadCollectorConfig({}, {});
    expect(d).toMatchObject({
      ok: true,
      config: { host: '127.0.0.1', port: 4318, maxBodyBytes: 8 * 1024 * 1024, bus: 'memory' },
    });
    const env = {
      BULWARK_PORT: '9000',
      BULWARK_API_KEYS: ' key-aaaaaaaaaaaaaaaa , key-bbbbbbbbbbbbbbbb ',
      BULWARK_ALLOW_UNAUTHENTICATED: 'true',
    };
    const e = loadCollectorConfig({}, env);
    expect(e.ok && e.config.port).toBe(9000);
    expect(e.ok && e.config.apiKeys).toEqual(['key-aaaaaaaaaaaaaaaa', 'key-bbbbbbbbbbbbbbbb']);
    expect(e.ok && e.config.allowUnauthenticated).toBe(true);
    const o = loadCollectorConfig({ port: 7000 }, env);
    expect(o.ok && o.config.port).toBe(7000);
  });

  it('lists every bad key with its env name', () => {
    const res = loadCollectorConfig(
      { nonAgentSpans: 'passthrough', ipDeny: ['10.0.0.0/33'] },
      { BULWARK_PORT: 'abc', BULWARK_BUS: 'pigeon', BULWARK_MAX_BODY_BYTES: '-1', BULWARK_LOG_LEVEL: 'loud' },
    );
    expect(res.ok).toBe(false);
    const text = res.ok ? '' : res.issues.join('\n');
    for (const key of ['BULWARK_PORT', 'BULWARK_BUS', 'BULWARK_MAX_BODY_BYTES', 'BULWARK_LOG_LEVEL'])
      expect(text).toContain(key);
    expect(text).toContain('"abc"');
  });

  it('checks cross-key rules: kafka brokers, passthrough URL, CIDRs, peers, JWKS file, short keys', () => {
    const res = loadCollectorConfig(
      {
        bus: 'kafka',
        nonAgentSpans: 'passthrough',
        ipAllow: ['not-an-ip'],
        peers: ['http://a:4318', 'ftp://b'],
        selfUrl: 'http://c:4318',
        jwksFile: '/nonexistent/jwks.json',
        apiKeys: ['short'],
      },
      {},
    );
    expect(res.ok).toBe(false);
    const text = res.ok ? '' : res.issues.join('\n');
    expect(text).toMatch(/kafkaBrokers \(BULWARK_KAFKA_BROKERS\): required when bus is kafka/);
    expect(text).toMatch(/passthroughUrl .*required/);
    expect(text).toMatch(/ipAllow .*"not-an-ip"/);
    expect(text).toMatch(/peers .*"ftp:\/\/b"/);
    expect(text).toMatch(/selfUrl .*not one of the peers/);
    expect(text).toMatch(/jwksFile .*cannot read/);
    expect(text).toMatch(/apiKeys .*16 characters/);
  });

  it('refuses a non-loopback bind without credentials unless explicitly allowed', () => {
    const res = loadCollectorConfig({ host: '0.0.0.0' }, {});
    expect(res.ok).toBe(false);
    expect(res.ok ? '' : res.issues[0]).toMatch(/credentials are required/);
    expect(loadCollectorConfig({ host: '0.0.0.0', allowUnauthenticated: true }, {}).ok).toBe(true);
    expect(loadCollectorConfig({ host: '0.0.0.0', apiKeys: ['k'.repeat(20)] }, {}).ok).toBe(true);
  });

  it('takes the bus WAL directory from BULWARK_BUS_WAL_DIR and refuses it on Kafka or when it is a file', () => {
    const res = loadCollectorConfig({}, { BULWARK_BUS_WAL_DIR: '/var/lib/bulwark/wal' });
    expect(res.ok && res.config.busWalDir).toBe('/var/lib/bulwark/wal');
    expect(loadCollectorConfig({ busWalDir: 'off' }, {}).ok).toBe(true);
    const kafka = loadCollectorConfig({ bus: 'kafka', kafkaBrokers: ['k:9092'], busWalDir: '/tmp/wal' }, {});
    expect(kafka.ok ? '' : kafka.issues.join()).toMatch(
      /busWalDir \(BULWARK_BUS_WAL_DIR\): only used with the in-process bus/,
    );
    const file = loadCollectorConfig({ busWalDir: 'package.json' }, {});
    expect(file.ok ? '' : file.issues.join()).toMatch(/package\.json exists and is not a directory/);
  });

  it('refuses unknown code options', () => {
    const res = loadCollectorConfig({ prot: 1 }, {});
    expect(res.ok ? '' : res.issues.join()).toMatch(/unknown option\(s\): prot/);
  });
});

describe('isLoopbackHost / parseCidr', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) expect(isLoopbackHost(h)).toBe(false);
  });
  it('parses v4 and v6 CIDRs', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('fd00::/8')).toEqual({ address: 'fd00::', prefix: 8, family: 'ipv6' });
    expect(parseCidr('::1')).toEqual({ address: '::1', prefix: 128, family: 'ipv6' });
    for (const bad of ['10.0.0.0/33', 'x/8', '10.0.0.0/8/1', '::/129'])
      expect(parseCidr(bad)).toBeUndefined();
  });
});
