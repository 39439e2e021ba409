import { describe, expect, it } from 'vitest';
import { splitCommandLine } from './command-line.js';

describe('splitCommandLine', () => {
  it('splits like a shell: quotes, escapes, no expansion', () => {
    expect(splitCommandLine(`npx -y "@scope/pkg" '/tmp/my dir' a\\ b "say \\"hi\\"" $HOME`)).toEqual({
      ok: true,
      argv: ['npx', '-y', '@scope/pkg', '/tmp/my dir', 'a b', 'say "hi"', '$HOME'],
    });
    expect(splitCommandLine(`node ''`)).toEqual({ ok: true, argv: ['node', ''] });
  });

  it('rejects empty lines and unterminated quotes', () => {
    expect(splitCommandLine('   ')).toMatchObject({ ok: false, reason: 'empty command line' });
    expect(splitCommandLine(`node "x`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/unterminated double quote/),
    });
  });
});
