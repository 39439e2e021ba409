import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);

export interface BodyLimits {
  /** Bytes on the wire. */
  maxBodyBytes: number;
  /** Bytes after decompression. */
  maxDecompressedBytes: number;
  /** Longest pause between two chunks of the body; past it the read answers 408. Default: no bound. */
  bodyIdleTimeoutMillis?: number;
  /**
   * Longest the whole body may take; past it the read answers 408 and the connection is closed. Bounds a
   * client that trickles a byte at a time (each under the idle bound). Default: no bound.
   */
  requestTimeoutMillis?: number;
}

/** The request body, decompressed, or the HTTP status and message that say why not. */
export type BodyResult =
  | { ok: true; body: Buffer }
  | { ok: false; status: 400 | 408 | 413 | 415; message: string };

/** After an early 413 the rest of the body is read and thrown away (so the client sees the answer), up to this. */
const DISCARD_MAX_BYTES = 128 * 1024 * 1024;
const DISCARD_MAX_MILLIS = 15_000;
/** A client still sending past the discard bounds gets a half-close (it can read our answer), then this long. */
const LINGER_MILLIS = 2_000;
/** A stalled body (408) is not waited for: the answer is written, then the socket half-closed after this. */
const STALLED_CLOSE_MILLIS = 250;

/**
 * Reads a request body within `maxBodyBytes`, then undoes `Content-Encoding: gzip|deflate` within
 * `maxDecompressedBytes` (zlib stops as soon as the output passes the limit, so a gzip bomb costs at most
 * that much memory). Never throws.
 *
 * @example
 * const res = await readBody(req, { maxBodyBytes: 8 << 20, maxDecompressedBytes: 32 << 20 });
 * if (!res.ok) return reply(res.status, res.message);
 */
export async function readBody(req: IncomingMessage, limits: BodyLimits): Promise<BodyResult> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (!['identity', '', 'gzip', 'x-gzip', 'deflate'].includes(encoding)) {
    discardRest(req);
    return {
      ok: false,
      status: 415,
      message: `Content-Encoding "${encoding}" is not supported: use gzip or none`,
    };
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
    discardRest(req);
    return tooLarge(limits.maxBodyBytes, `Content-Length ${declared}`);
  }
  const raw = await collect(
    req,
    limits.maxBodyBytes,
    limits.bodyIdleTimeoutMillis,
    limits.requestTimeoutMillis,
  );
  if (!raw.ok) return raw;
  if (encoding === 'identity' || encoding === '') return raw;
  try {
    const fn = encoding === 'deflate' ? inflate : gunzip;
    const body = await fn(raw.body, { maxOutputLength: limits.maxDecompressedBytes });
    return { ok: true, body };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      return {
        ok: false,
        status: 413,
        message: `decompressed body exceeds maxDecompressedBytes=${limits.maxDecompressedBytes}: send smaller batches`,
      };
    }
    return {
      ok: false,
      status: 400,
      message: `body is not valid ${encoding} data: ${(err as Error).message}`,
    };
  }
}

function tooLarge(max: number, what: string): BodyResult {
  return { ok: false, status: 413, message: `${what} exceeds maxBodyBytes=${max}: send smaller batches` };
}

function collect(
  req: IncomingMessage,
  max: number,
  idleMillis: number | undefined,
  totalMillis: number | undefined,
): Promise<BodyResult> {
  // A body that has fully arrived already (usually: it came with the headers) waits on no client, so it
  // needs no deadline: no timers to arm and clear for it.
  const arrived = req.complete;
  const idleBound = arrived ? undefined : idleMillis;
  const totalBound = arrived ? undefined : totalMillis;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    const total =
      totalBound === undefined
        ? undefined
        : setTimeout(() => {
            chunks.length = 0;
            // The answer goes out first; then the socket is closed (it may never finish its body).
            discardRest(req, { maxMillis: STALLED_CLOSE_MILLIS });
            finish({
              ok: false,
              status: 408,
              message: `the body took longer than requestTimeoutMillis=${totalMillis}: send it at once`,
            });
          }, totalBound);
    const armIdle = () => {
      if (idleBound === undefined) return;
      clearTimeout(idle);
      idle = setTimeout(() => {
        chunks.length = 0;
        discardRest(req, { maxMillis: STALLED_CLOSE_MILLIS });
        finish({
          ok: false,
          status: 408,
          message: `no body data for bodyIdleTimeoutMillis=${idleMillis}: send the body without pauses`,
        });
      }, idleBound);
    };
    const finish = (r: BodyResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      clearTimeout(total);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      armIdle();
      size += chunk.length;
      if (size > max) {
        chunks.length = 0;
        discardRest(req);
        finish(tooLarge(max, 'body'));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () =>
      finish({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    const onError = (err: Error) =>
      finish({ ok: false, status: 400, message: `reading the body failed: ${err.message}` });
    const onAborted = () => finish({ ok: false, status: 400, message: 'client aborted the request' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
    armIdle();
  });
}

/**
 * Reads and drops what is left of a refused body so the client gets our answer instead of a reset (closing
 * a socket the client is still writing to makes its kernel drop the unread answer: EPIPE/ECONNRESET). The
 * connection stays usable. A client that keeps sending past the bounds gets a lingering close: our side is
 * half-closed (the answer and a FIN reach it), reading goes on briefly, then the socket is destroyed.
 */
export function discardRest(req: IncomingMessage, options: { maxMillis?: number } = {}): void {
  if (req.complete || req.destroyed) return;
  let dropped = 0;
  let lingering = false;
  const linger = () => {
    if (lingering) return;
    lingering = true;
    clearTimeout(timer);
    req.socket.end();
    setTimeout(() => req.destroy(), LINGER_MILLIS).unref();
  };
  const timer = setTimeout(linger, options.maxMillis ?? DISCARD_MAX_MILLIS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DISCARD_MAX_BYTES) linger();
  });
  req.once('close', () => clearTimeout(timer));
  req.resume();
}
