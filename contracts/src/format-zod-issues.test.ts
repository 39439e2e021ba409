import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatZodIssue, formatZodIssues, zodIssuePath } from './format-zod-issues.js';

const Schema = z.object({ port: z.number().max(65_535), hosts: z.array(z.string()) }).strict();

function errorOf(input: unknown): z.ZodError {
  const r = Schema.safeParse(input);
  if (r.success) throw new Error('expected a failure');
  return r.error;
}

describe('formatZodIssues', () => {
  it('lists every issue as path: message', () => {
    const out = formatZodIssues(errorOf({ port: 70_000, hosts: ['a', 1] }));
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^port: /);
    expect(out[1]).toMatch(/^hosts\.1: /);
  });

  it('names the value itself with the root label', () => {
    expect(formatZodIssues(errorOf('nope'))[0]).toMatch(/^\(root\): /);
    expect(formatZodIssues(errorOf('nope'), { root: '(body)' })[0]).toMatch(/^\(body\): /);
  });

  it('names the top-level key, e.g. with its environment variable, and keeps the rest of the path', () => {
    const out = formatZodIssues(errorOf({ port: 70_000, hosts: [1] }), { key: (k) => `${k} (ENV_${k})` });
    expect(out[0]).toMatch(/^port \(ENV_port\): /);
    expect(out[1]).toMatch(/^hosts \(ENV_hosts\)\.0: /);
  });

  it('stops at the limit and takes plain issue lists', () => {
    const issues = Array.from({ length: 30 }, (_, i) => ({ path: ['events', i], message: 'bad' }));
    expect(formatZodIssues(issues, { limit: 10 })).toHaveLength(10);
    expect(formatZodIssues({ issues })[29]).toBe('events.29: bad');
  });

  it('turns symbols and numbers in a path into text', () => {
    expect(zodIssuePath(['a', 1, Symbol('s')])).toBe('a.1.Symbol(s)');
    expect(formatZodIssue({ path: [], message: 'm' }, { root: '(event)' })).toBe('(event): m');
  });
});
