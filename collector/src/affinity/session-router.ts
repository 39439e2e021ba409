import { createHash } from 'node:crypto';
import { sessionKey } from '@bulwark/contracts';

function score(peer: string, key: string): bigint {
  return createHash('sha256').update(peer).update('\u0000').update(key).digest().readBigUInt64BE(0);
}

/**
 * Session affinity over a static peer list by rendezvous (highest random weight) hashing of
 * tenant + session: every instance computes the same owner without coordination, and adding or removing
 * one peer moves only the sessions that peer gains or loses. A peer that failed is skipped for
 * `downMillis` (callers answer locally meanwhile).
 *
 * @example
 * const router = new SessionRouter(['http://a:4318', 'http://b:4318'], 'http://a:4318', 5_000);
 * const owner = router.ownerOf('acme', 's1'); // undefined when this instance owns it
 */
export class SessionRouter {
  private readonly peers: readonly string[];
  private readonly self: string | undefined;
  private readonly downUntil = new Map<string, number>();

  constructor(
    peers: readonly string[],
    self: string | undefined,
    private readonly downMillis: number,
    private readonly now: () => number = Date.now,
  ) {
    this.peers = [...peers];
    this.self = self;
  }

  /** True when there is more than one instance to route between. */
  get active(): boolean {
    return this.peers.length > 1 && this.self !== undefined;
  }

  /** The owning peer's base URL, or undefined when this instance owns the session (or no peers are set). */
  ownerOf(tenantId: string, sessionId: string): string | undefined {
    if (!this.active) return undefined;
    const key = sessionKey(tenantId, sessionId);
    let best: string | undefined;
    let bestScore = -1n;
    for (const p of this.peers) {
      const s = score(p, key);
      if (s > bestScore || (s === bestScore && best !== undefined && p < best)) {
        best = p;
        bestScore = s;
      }
    }
    return best === this.self ? undefined : best;
  }

  /** True while `peer` is in its back-off window after a failure. */
  isDown(peer: string): boolean {
    const until = this.downUntil.get(peer);
    if (until === undefined) return false;
    if (this.now() >= until) {
      this.downUntil.delete(peer);
      return false;
    }
    return true;
  }

  markDown(peer: string): void {
    this.downUntil.set(peer, this.now() + this.downMillis);
  }

  markUp(peer: string): void {
    this.downUntil.delete(peer);
  }
}
