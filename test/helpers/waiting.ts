import assert from 'node:assert/strict';

/** Polls `check` every `intervalMs` until it returns true; throws after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string | (() => string),
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Waits until `check` holds and fails unless it held within `limitMs` of `since` (a change made at
 * `since` reaching another process or instance). It polls ten times past the limit, so that a
 * failure says whether the change came late or never.
 */
export async function arrivesWithin(
  since: number,
  limitMs: number,
  what: string,
  check: () => Promise<boolean>,
  intervalMs = 25,
): Promise<void> {
  await waitFor(check, limitMs * 10, what, intervalMs);
  const took = Date.now() - since;
  assert.ok(took <= limitMs, `${what} took ${took} ms, more than ${limitMs} ms`);
}
