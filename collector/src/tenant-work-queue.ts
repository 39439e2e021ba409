/** Bounds of a {@link TenantWorkQueue}. */
export interface TenantWorkQueueOptions {
  /** Tickets (admitted, waiting or running) one tenant may hold; beyond it `admit` says `tenant_busy`. */
  maxPerTenant: number;
  /** Tickets over all tenants; beyond it `admit` says `overloaded`. */
  maxTotal: number;
  /** A ticket still waiting for its turn after this long is refused with `expired` (its caller gave up). */
  queueTimeoutMillis: number;
}

/** Why work was not run: the caller answers 429 (`tenant_busy`) or 503 (`overloaded`, `expired`). */
export interface Refusal {
  reason: 'tenant_busy' | 'overloaded' | 'expired';
  message: string;
  retryAfterMillis: number;
}

/** A place in the queue, taken before the (I/O-bound) body is read and the (CPU-bound) work runs. */
export interface WorkTicket {
  /**
   * Waits for this tenant's turn, runs `work`, then frees the place. Runs at most once. With
   * `{ keepPlace: true }` the turn ends with `work` (the tenant's next job may start) but the place stays
   * taken until `release()`: for work that goes on waiting on I/O after its CPU part, still counted against
   * the tenant's and the collector's bounds.
   */
  run<T>(
    work: () => Promise<T> | T,
    options?: { keepPlace?: boolean },
  ): Promise<{ ok: true; value: T } | ({ ok: false } & Refusal)>;
  /** Frees the place without running (the body could not be read). Idempotent. */
  release(): void;
}

interface Waiter {
  start: () => void;
}

interface Lane {
  held: number;
  running: boolean;
  waiting: Waiter[];
}

/**
 * Per-tenant FIFO work lanes: one job of a tenant runs at a time, and tenants take turns, so a tenant that
 * sends a backlog of heavy requests waits behind itself, never in front of another tenant. A job that yields
 * (awaits) lets other tenants' jobs run meanwhile. Admission is bounded per tenant and overall; refusals are
 * values with a retry hint.
 *
 * @example
 * const q = new TenantWorkQueue({ maxPerTenant: 64, maxTotal: 1024, queueTimeoutMillis: 1000 });
 * const t = q.admit('acme');
 * if (!t.ok) return reply(429, t.message);
 * const out = await t.ticket.run(() => decide(request));
 */
export class TenantWorkQueue {
  private readonly lanes = new Map<string, Lane>();
  private total = 0;

  constructor(private readonly options: TenantWorkQueueOptions) {}

  /** Tickets held over all tenants. */
  get size(): number {
    return this.total;
  }

  /** Takes a place for `tenantId`, or says why not. */
  admit(tenantId: string): { ok: true; ticket: WorkTicket } | ({ ok: false } & Refusal) {
    const lane = this.lanes.get(tenantId) ?? { held: 0, running: false, waiting: [] };
    if (lane.held >= this.options.maxPerTenant) {
      return {
        ok: false,
        reason: 'tenant_busy',
        message: `this tenant already has ${lane.held} verdict request(s) in progress (maxQueuedVerdictsPerTenant=${this.options.maxPerTenant}); retry after the Retry-After delay`,
        retryAfterMillis: 1_000,
      };
    }
    if (this.total >= this.options.maxTotal) {
      return {
        ok: false,
        reason: 'overloaded',
        message: `the collector has ${this.total} verdict request(s) in progress (maxInFlightVerdicts=${this.options.maxTotal}); retry after the Retry-After delay`,
        retryAfterMillis: 1_000,
      };
    }
    lane.held += 1;
    this.total += 1;
    this.lanes.set(tenantId, lane);
    let released = false;
    let used = false;
    const release = () => {
      if (released) return;
      released = true;
      lane.held -= 1;
      this.total -= 1;
      if (lane.held === 0 && !lane.running) this.lanes.delete(tenantId);
    };
    const ticket: WorkTicket = {
      release,
      run: async <T>(work: () => Promise<T> | T, options: { keepPlace?: boolean } = {}) => {
        if (used || released) throw new Error('WorkTicket.run called twice or after release');
        used = true;
        const turn = await this.turn(lane);
        if (!turn) {
          release();
          return {
            ok: false as const,
            reason: 'expired' as const,
            message: `the request waited over verdictQueueTimeoutMillis=${this.options.queueTimeoutMillis} for its turn (this tenant's earlier requests were still running); retry after the Retry-After delay`,
            retryAfterMillis: 1_000,
          };
        }
        try {
          return { ok: true as const, value: await work() };
        } finally {
          lane.running = false;
          if (!options.keepPlace) release();
          this.next(lane, tenantId);
        }
      },
    };
    return { ok: true, ticket };
  }

  /** Resolves true when the lane is ours, false when the wait expired. */
  private turn(lane: Lane): Promise<boolean> {
    if (!lane.running && lane.waiting.length === 0) {
      lane.running = true;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const w: Waiter = {
        start: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        const i = lane.waiting.indexOf(w);
        // Not waiting any more: its start is already scheduled, the lane is its own.
        if (i < 0) return;
        lane.waiting.splice(i, 1);
        resolve(false);
      }, this.options.queueTimeoutMillis);
      lane.waiting.push(w);
    });
  }

  private next(lane: Lane, tenantId: string): void {
    const w = lane.waiting.shift();
    if (w) {
      lane.running = true;
      // Started from a fresh macrotask: another tenant's ready work runs before this tenant's next job.
      setImmediate(w.start);
      return;
    }
    if (lane.held === 0) this.lanes.delete(tenantId);
  }
}
