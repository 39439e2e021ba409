import { type CaptureFlags, type CapturePolicy, redactionMask } from '@bulwark/contracts';
import { isSecretKey, redactSecrets } from './redact-secrets.js';

export type { CaptureFlags };

/** What spans carry of prompts, arguments, results and messages. */
export type CaptureMode = CapturePolicy['mode'];

const SECRET_FIELD_MASK = redactionMask('secret_field');

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes on a character boundary.
 *
 * @example
 * truncateUtf8('héllo', 2); // { text: 'h', truncated: true }
 */
export function truncateUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  // Fast path: a JS string never has more UTF-8 bytes than 3x its UTF-16 length.
  if (text.length * 3 <= maxBytes) return { text, truncated: false };
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return { text, truncated: false };
  let end = Math.max(0, maxBytes);
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return { text: buf.subarray(0, end).toString('utf8'), truncated: true };
}

const TRUNCATION_MARK = '…[truncated]';

/**
 * Caps and (optionally) redacts one text value. The result stays within `maxBytes` including the marker.
 * Redaction runs on a slightly longer prefix first so a secret straddling the cut is still masked.
 */
export function limitText(
  text: string,
  maxBytes: number,
  redact: boolean,
): { text: string; truncated: boolean; redacted: boolean } {
  let value = text;
  let redacted = false;
  if (redact) {
    const head = truncateUtf8(value, maxBytes + 4096).text;
    const r = redactSecrets(head);
    value = head === value ? r.text : r.text + value.slice(head.length);
    redacted = r.redacted;
  }
  const cut = truncateUtf8(value, maxBytes);
  if (!cut.truncated) return { text: value, truncated: false, redacted };
  const room = maxBytes - Buffer.byteLength(TRUNCATION_MARK);
  const text2 = room > 0 ? truncateUtf8(value, room).text + TRUNCATION_MARK : cut.text;
  return { text: text2, truncated: true, redacted };
}

/**
 * Deep copy of a JSON-like value with every string capped and, when `redact`, secrets masked (by pattern, and
 * whole values under secret-looking keys such as `password` or `authorization`).
 */
export function limitJson(
  value: unknown,
  maxStringBytes: number,
  redact: boolean,
  flags: CaptureFlags,
  depth = 0,
): unknown {
  if (typeof value === 'string') {
    const r = limitText(value, maxStringBytes, redact);
    if (r.truncated) flags.truncated = true;
    if (r.redacted) flags.redacted = true;
    return r.text;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth > 32) {
    flags.truncated = true;
    return '[depth limit]';
  }
  if (Array.isArray(value)) return value.map((v) => limitJson(v, maxStringBytes, redact, flags, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (redact && typeof v === 'string' && v !== '' && isSecretKey(k)) {
      out[k] = SECRET_FIELD_MASK;
      flags.redacted = true;
      continue;
    }
    out[k] = limitJson(v, maxStringBytes, redact, flags, depth + 1);
  }
  return out;
}

/**
 * The capture policy of span content (the span encoder's `CapturePolicy`). `redacted` masks secrets and caps
 * each value at `maxAttributeBytes`; `full` only caps; `none` records no content at all (methods return
 * `undefined`). Server metadata (tool definitions) is capped at `maxMetadataBytes` and never masked.
 *
 * @example
 * const capture = new ContentCapture('redacted', 8192);
 * const { attributes } = agentEventToSpan(toolResultEvent, { capture });
 */
export class ContentCapture implements CapturePolicy {
  readonly mode: CaptureMode;
  readonly maxAttributeBytes: number;
  readonly maxMetadataBytes: number;

  constructor(mode: CaptureMode, maxAttributeBytes: number, maxMetadataBytes = 262_144) {
    this.mode = mode;
    this.maxAttributeBytes = maxAttributeBytes;
    this.maxMetadataBytes = maxMetadataBytes;
  }

  /** An identifier (a resource URI): secrets masked when redacting, never cut. */
  identifier(value: string): string {
    return this.mode === 'redacted' ? redactSecrets(value).text : value;
  }

  /** Server metadata: capped, never masked (so a hash computed from the span equals the SDK's). */
  metadata(value: unknown, flags: CaptureFlags): unknown {
    return limitJson(value, this.maxMetadataBytes, false, flags);
  }

  /** The span form of one text, or `undefined` when content is not captured. */
  text(value: string, flags: CaptureFlags): string | undefined {
    if (this.mode === 'none') return undefined;
    const r = limitText(value, this.maxAttributeBytes, this.mode === 'redacted');
    if (r.truncated) flags.truncated = true;
    if (r.redacted) flags.redacted = true;
    return r.text;
  }

  /** The span form of a structured value (strings redacted/capped inside, structure kept). */
  value(value: unknown, flags: CaptureFlags): unknown {
    if (this.mode === 'none') return undefined;
    return limitJson(value, this.maxAttributeBytes, this.mode === 'redacted', flags);
  }

  /**
   * The span form of a structured value as JSON, capped as a whole. Past the cap the JSON is cut (and no
   * longer parses); the flag says so.
   */
  json(value: unknown, flags: CaptureFlags): string | undefined {
    if (this.mode === 'none') return undefined;
    const limited = limitJson(value, this.maxAttributeBytes, this.mode === 'redacted', flags);
    const text = JSON.stringify(limited) ?? 'null';
    const cut = limitText(text, this.maxAttributeBytes, false);
    if (cut.truncated) flags.truncated = true;
    return cut.text;
  }
}
