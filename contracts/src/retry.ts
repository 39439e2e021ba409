import { isRetriable, RetryExhaustedError } from './errors.js';

export interface RetryOptions {
  /** Total attempts including the first. Default 5. */
  maxAttempts?: number;
  /** First backoff. Default 100 ms. */
  initialDelayMillis?: number;
  /** Cap on one backoff. Default 5 s. */
  maxDelayMillis?: number;
  /** Give up when the next attempt would start after this many ms from the first. Default 30 s. */
  deadlineMillis?: number;
  /** Which errors to retry. Default: errors marked `retriable`. */
  shouldRetry?: (err: unknown, attempt: number) => boolean;
  /** Randomness source in [0,1) for jitter; injectable for deterministic tests. */
  random?: () => number;
  /** Clock, injectable for tests. */
  now?: () => number;
  sleep?: (millis: number) => Promise<void>;
  signal?: AbortSignal;
  onRetry?: (err: unknown, attempt: number, delayMillis: number) => void;
}

const defaultSleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis));

/** Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2^attempt)). */
export function backoffDelay(
  attempt: number,
  initialDelayMillis: number,
  maxDelayMillis: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxDelayMillis, initialDelayMillis * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Runs `fn` until it succeeds, the error is not retriable, attempts run out or the deadline passes.
 * The one retry module of the project: exponential backoff with full jitter and a deadline.
 *
 * @example
 * const res = await retry(() => producer.send(batch), { maxAttempts: 8, deadlineMillis: 10_000 });
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 5;
  const initial = options.initialDelayMillis ?? 100;
  const cap = options.maxDelayMillis ?? 5_000;
  const deadline = options.deadlineMillis ?? 30_000;
  const shouldRetry = options.shouldRetry ?? ((err: unknown) => isRetriable(err));
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const started = now();
  let attempt = 0;
  for (;;) {
    attempt += 1;
    try {
      return await fn(attempt);
    } catch (err) {
      if (options.signal?.aborted || !shouldRetry(err, attempt)) throw err;
      if (attempt >= maxAttempts) throw new RetryExhaustedError(attempt, err);
      const delay = backoffDelay(attempt, initial, cap, random);
      if (now() + delay - started > deadline) throw new RetryExhaustedError(attempt, err);
      options.onRetry?.(err, attempt, delay);
      await sleep(delay);
    }
  }
}
