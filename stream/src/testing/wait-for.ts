/** Resolves when `cond` holds, polling; rejects with `what` after `timeoutMillis`. */
export async function waitFor(cond: () => boolean, timeoutMillis: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMillis} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
