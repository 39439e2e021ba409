import { describe, expect, it } from 'vitest';
import { foldName, hasNonAsciiName, nameSkeleton } from './name-skeleton.js';

describe('tool name folding', () => {
  it('folds case and separators', () => {
    expect(foldName('Send-Email')).toBe(foldName('send_email'));
    expect(foldName('sendEmail')).toBe('sendemail');
  });

  it('maps homoglyphs, compatibility forms and invisible characters to one skeleton', () => {
    const base = nameSkeleton('read_file');
    expect(nameSkeleton('reаd_file')).toBe(base); // Cyrillic а
    expect(nameSkeleton('ｒｅａｄ_ｆｉｌｅ')).toBe(base); // full-width
    expect(nameSkeleton('read\u200b_file')).toBe(base);
    expect(nameSkeleton('rea d-fi1e'.replace(' ', ''))).toBe(base); // digit one for l
    expect(nameSkeleton('write_file')).not.toBe(base);
  });

  it('tells which name can impersonate', () => {
    expect(hasNonAsciiName('reаd_file')).toBe(true);
    expect(hasNonAsciiName('read_file')).toBe(false);
  });
});
