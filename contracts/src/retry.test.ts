import { describe, expect, it } from 'vitest';
import { BulwarkError, RetryExhaustedError } from './errors.js';
import { backoffDelay, retry } from './retry.js';

const noSleep = async () => {};

describe('retry', () => {
  it('retries retriable errors and returns the first success', async () => {
    let n = 0;
    const out = await retry(
      async () => {
        n += 1;
        if (n < 3) throw new BulwarkError('x.down', 'down', { retriable: true });
        return 'ok';
      },
      { sleep: noSleep, random: () => 0.5 },
    );
    expect(out).toBe('ok');
    expect(n).toBe(3);
  });

  it('rethrows a non-retriable error at once', async () => {
    const err = new BulwarkError('x.bad', 'bad');
    await expect(retry(async () => Promise.reject(err), { sleep: noSleep })).rejects.toBe(err);
  });

  it('gives up after maxAttempts or past the deadline', async () => {
    const e = new BulwarkError('x.down', 'down', { retriable: true });
    await expect(
      retry(async () => Promise.reject(e), { maxAttempts: 2, sleep: noSleep }),
    ).rejects.toBeInstanceOf(RetryExhaustedError);
    let t = 0;
    const res = retry(async () => Promise.reject(e), {
      maxAttempts: 100,
      deadlineMillis: 1000,
      random: () => 0.99,
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    });
    await expect(res).rejects.toMatchObject({ code: 'retry.exhausted' });
    expect(t).toBeLessThanOrEqual(1000);
  });

  it('uses full jitter bounded by the cap', () => {
    expect(backoffDelay(1, 100, 5000, () => 0.999)).toBeLessThan(100);
    expect(backoffDelay(20, 100, 5000, () => 0.999)).toBeLessThan(5000);
    expect(backoffDelay(3, 100, 5000, () => 0)).toBe(0);
  });
});
