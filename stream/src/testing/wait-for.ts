/**
 * Resolves when `cond` holds, polling every 10 ms; rejects naming `what` after `timeoutMillis`.
 *
 * @example
 * await waitFor(() => seen.size === 10, 5_000, 'all 10 records');
 */
export async function waitFor(cond: () => boolean, timeoutMillis: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMillis} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
