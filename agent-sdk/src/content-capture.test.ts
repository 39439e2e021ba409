import { describe, expect, it } from 'vitest';
import { type CaptureFlags, ContentCapture, limitText, truncateUtf8 } from './content-capture.js';

const flags = (): CaptureFlags => ({ truncated: false, redacted: false });

describe('truncateUtf8', () => {
  it('never splits a multi-byte character', () => {
    expect(truncateUtf8('héllo', 2)).toEqual({ text: 'h', truncated: true });
    expect(truncateUtf8('héllo', 3)).toEqual({ text: 'hé', truncated: true });
    expect(truncateUtf8('😀x', 3)).toEqual({ text: '', truncated: true });
    expect(truncateUtf8('abc', 3)).toEqual({ text: 'abc', truncated: false });
  });
});

describe('limitText', () => {
  it('caps at maxBytes including the marker', () => {
    const r = limitText('x'.repeat(1000), 100, false);
    expect(r.truncated).toBe(true);
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(100);
    expect(r.text.endsWith('…[truncated]')).toBe(true);
  });

  it('masks a secret that straddles the cut', () => {
    const text = `${'a '.repeat(45)}sk-abcdefghijklmnopqrstuvwxyz0123`;
    const r = limitText(text, 100, true);
    expect(r.redacted).toBe(true);
    expect(r.text).not.toContain('sk-abc');
  });
});

describe('ContentCapture', () => {
  it("'redacted' masks and caps, and says so", () => {
    const c = new ContentCapture('redacted', 64);
    const f = flags();
    expect(c.text('password=hunter2', f)).toBe('password=[REDACTED:password]');
    expect(f.redacted).toBe(true);
    const long = c.text('y'.repeat(500), f);
    expect(Buffer.byteLength(long!)).toBeLessThanOrEqual(64);
    expect(f.truncated).toBe(true);
  });

  it("'full' keeps secrets but caps; 'none' captures nothing", () => {
    const f = flags();
    expect(new ContentCapture('full', 64).text('password=hunter2', f)).toBe('password=hunter2');
    expect(f.redacted).toBe(false);
    expect(new ContentCapture('none', 64).text('anything', f)).toBeUndefined();
    expect(new ContentCapture('none', 64).json({ a: 1 }, f)).toBeUndefined();
  });

  it('redacts inside structured values, by pattern and by secret-looking key', () => {
    const c = new ContentCapture('redacted', 8192);
    const f = flags();
    const json = c.json(
      { to: 'a@b.c', api_key: 'abc', nested: { note: 'token AKIAIOSFODNN7EXAMPLE' }, n: 3 },
      f,
    );
    expect(JSON.parse(json!)).toEqual({
      to: 'a@b.c',
      api_key: '[REDACTED:secret_field]',
      nested: { note: 'token [REDACTED:aws_access_key]' },
      n: 3,
    });
    expect(f.redacted).toBe(true);
  });
});
