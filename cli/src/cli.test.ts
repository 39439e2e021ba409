import { afterEach, describe, expect, it, vi } from 'vitest';
import { COMMANDS, main } from './cli.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  // Some commands write stdout directly (`proxy`, whose stdout is otherwise the protocol).
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  return { out: () => out.join('\n'), err: () => err.join('\n') };
}

describe('bulwark <command> --help', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('`bulwark eval --help` lists the eval commands and exits 0; `bulwark eval` alone exits 2', async () => {
    let io = capture();
    expect(await main(['eval', '--help'])).toBe(0);
    expect(io.out()).toContain('usage: bulwark eval <command>');
    expect(io.out()).toContain('eval agentdojo');
    expect(io.out()).toContain('eval tools');
    expect(io.out()).not.toContain('serve');
    vi.restoreAllMocks();
    io = capture();
    expect(await main(['eval'])).toBe(2);
    expect(io.err()).toContain('eval tools');
    vi.restoreAllMocks();
    io = capture();
    expect(await main(['eval', 'frobnicate'])).toBe(2);
    expect(io.err()).toContain('unknown command "eval frobnicate"');
  });

  // serve is covered in test/cli.test.ts; importing it here would start nothing but load the collector.
  for (const spec of COMMANDS.filter((c) => c.module !== 'serve')) {
    const words = spec.words.join(' ');
    it(`\`bulwark ${words} --help\` and \`bulwark help ${words}\` print its usage and exit 0`, async () => {
      for (const argv of [
        [...spec.words, '--help'],
        [...spec.words, '-h'],
        ['help', ...spec.words],
      ]) {
        const io = capture();
        expect(await main(argv)).toBe(0);
        expect(io.out()).toContain(`usage: bulwark ${words}`);
        vi.restoreAllMocks();
      }
    }, 30_000);
  }
});
