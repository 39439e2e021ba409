import { type Answer, HttpReceiver } from './http-receiver.js';

/**
 * Plays a Slack incoming webhook. Checks the documented message shape and Block Kit limits (header
 * plain_text <= 150 chars; section text <= 3000; <= 10 fields of <= 2000; context 1..10 elements; <= 50
 * blocks; `text` or blocks required) and answers like Slack: 200 `ok`, or 400 `invalid_payload` /
 * `invalid_blocks` / `no_text` with the problems in `problems` for the test to read.
 */
export class SlackReceiver extends HttpReceiver {
  /** Problems found in the last rejected message. */
  problems: string[] = [];
  readonly messages: { text: string; blocks: unknown[] }[] = [];

  protected handle(req: { method: string; headers: Record<string, string>; body: string }): Answer {
    if (req.method !== 'POST') return { status: 405, body: 'invalid_method' };
    if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
      return { status: 400, body: 'invalid_payload' };
    let msg: unknown;
    try {
      msg = JSON.parse(req.body);
    } catch {
      return { status: 400, body: 'invalid_payload' };
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
      return { status: 400, body: 'invalid_payload' };
    const m = msg as { text?: unknown; blocks?: unknown };
    const hasText = typeof m.text === 'string' && m.text.length > 0;
    const blocks = m.blocks;
    if (!hasText && !(Array.isArray(blocks) && blocks.length > 0)) return { status: 400, body: 'no_text' };
    const problems = blocks === undefined ? [] : checkBlocks(blocks);
    if (typeof m.text === 'string' && m.text.length > 40_000) problems.push('text longer than 40000');
    if (problems.length > 0) {
      this.problems = problems;
      return { status: 400, body: 'invalid_blocks' };
    }
    this.messages.push({ text: String(m.text ?? ''), blocks: (blocks as unknown[]) ?? [] });
    return { status: 200, body: 'ok' };
  }
}

function textObject(t: unknown, where: string, max: number, types: string[], problems: string[]): void {
  const o = t as { type?: unknown; text?: unknown };
  if (typeof o !== 'object' || o === null) {
    problems.push(`${where}: not a text object`);
    return;
  }
  if (!types.includes(String(o.type))) problems.push(`${where}.type must be ${types.join('|')}`);
  if (typeof o.text !== 'string' || o.text.length === 0)
    problems.push(`${where}.text must be a non-empty string`);
  else if (o.text.length > max) problems.push(`${where}.text longer than ${max} (${o.text.length})`);
}

/** The Block Kit rules this sink relies on. */
export function checkBlocks(blocks: unknown): string[] {
  const problems: string[] = [];
  if (!Array.isArray(blocks)) return ['blocks must be an array'];
  if (blocks.length > 50) problems.push(`more than 50 blocks (${blocks.length})`);
  blocks.forEach((b, i) => {
    const blk = b as {
      type?: unknown;
      text?: unknown;
      fields?: unknown;
      elements?: unknown;
      block_id?: unknown;
    };
    const at = `blocks[${i}]`;
    if (typeof blk?.block_id === 'string' && blk.block_id.length > 255)
      problems.push(`${at}.block_id longer than 255`);
    switch (blk?.type) {
      case 'header':
        textObject(blk.text, `${at}.text`, 150, ['plain_text'], problems);
        break;
      case 'section': {
        if (blk.text === undefined && blk.fields === undefined)
          problems.push(`${at}: section needs text or fields`);
        if (blk.text !== undefined)
          textObject(blk.text, `${at}.text`, 3000, ['mrkdwn', 'plain_text'], problems);
        if (blk.fields !== undefined) {
          if (!Array.isArray(blk.fields)) problems.push(`${at}.fields must be an array`);
          else {
            if (blk.fields.length > 10) problems.push(`${at}: more than 10 fields`);
            for (const [j, f] of blk.fields.entries()) {
              textObject(f, `${at}.fields[${j}]`, 2000, ['mrkdwn', 'plain_text'], problems);
            }
          }
        }
        break;
      }
      case 'context': {
        if (!Array.isArray(blk.elements) || blk.elements.length === 0)
          problems.push(`${at}.elements must be 1..10 items`);
        else {
          if (blk.elements.length > 10) problems.push(`${at}: more than 10 elements`);
          for (const [j, e] of blk.elements.entries()) {
            textObject(e, `${at}.elements[${j}]`, 3000, ['mrkdwn', 'plain_text'], problems);
          }
        }
        break;
      }
      case 'divider':
        break;
      default:
        problems.push(`${at}: unexpected block type ${String(blk?.type)}`);
    }
  });
  return problems;
}
