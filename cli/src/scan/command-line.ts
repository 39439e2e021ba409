/** Result of splitting a command line. */
export type SplitCommandLine = { ok: true; argv: string[] } | { ok: false; reason: string };

/**
 * Splits a command line the way a POSIX shell splits words: whitespace separates, single quotes are literal,
 * double quotes allow `\"` and `\\`, a backslash outside quotes escapes the next character. No expansion.
 *
 * @example
 * splitCommandLine(`npx -y "@scope/pkg" '/tmp/my dir'`); // { ok: true, argv: ['npx', '-y', '@scope/pkg', '/tmp/my dir'] }
 */
export function splitCommandLine(line: string): SplitCommandLine {
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) word += line[++i];
      else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote)
    return { ok: false, reason: `unterminated ${quote === '"' ? 'double' : 'single'} quote in: ${line}` };
  if (inWord) argv.push(word);
  if (argv.length === 0) return { ok: false, reason: 'empty command line' };
  return { ok: true, argv };
}
