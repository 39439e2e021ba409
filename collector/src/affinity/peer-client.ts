import { Pool } from 'undici';

/** Header that marks a request forwarded by a peer: the receiver answers it locally, never forwards again. */
export const FORWARDED_HEADER = 'x-bulwark-forwarded-by';

/** A peer's answer, or why there is none (the caller then answers locally). */
export type PeerResponse =
  | { ok: true; status: number; body: Buffer; contentType: string }
  | { ok: false; message: string };

/**
 * Keep-alive HTTP client to the other collector instances (one undici pool per peer). Every call is bounded
 * by `timeoutMillis`; a failure is a value, never an exception.
 *
 * @example
 * const peers = new PeerClient('http://a:4318', 250);
 * const res = await peers.post('http://b:4318', '/v1/verdicts', body, { authorization: req.headers.authorization });
 */
export class PeerClient {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly self: string,
    private readonly timeoutMillis: number,
  ) {}

  async post(
    peer: string,
    path: string,
    body: Buffer | string,
    headers: Record<string, string | undefined>,
  ): Promise<PeerResponse> {
    const h: Record<string, string> = { 'content-type': 'application/json', [FORWARDED_HEADER]: this.self };
    for (const [k, v] of Object.entries(headers)) if (v !== undefined) h[k] = v;
    const signal = AbortSignal.timeout(this.timeoutMillis);
    try {
      const res = await this.pool(peer).request({
        path,
        method: 'POST',
        headers: h,
        body,
        signal,
        headersTimeout: this.timeoutMillis,
        bodyTimeout: this.timeoutMillis,
      });
      const chunks: Buffer[] = [];
      for await (const c of res.body) chunks.push(c as Buffer);
      const ct = res.headers['content-type'];
      return {
        ok: true,
        status: res.statusCode,
        body: Buffer.concat(chunks),
        contentType: typeof ct === 'string' ? ct : 'application/json',
      };
    } catch (err) {
      return { ok: false, message: `${peer}${path}: ${(err as Error).message}` };
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }

  private pool(peer: string): Pool {
    let p = this.pools.get(peer);
    if (!p) {
      p = new Pool(peer, { connections: 16, connectTimeout: this.timeoutMillis, keepAliveTimeout: 30_000 });
      this.pools.set(peer, p);
    }
    return p;
  }
}
