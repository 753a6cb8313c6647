/** How a request is retried: attempts, backoff, and the longest wait a Retry-After may ask for. */
export interface RetryPolicy {
  /** Attempts in all, the first included. Default 4. */
  readonly attempts?: number;
  /** The first backoff; each next one doubles, with jitter. Default 200 ms. */
  readonly baseDelayMs?: number;
  /** No wait is longer, whatever Retry-After says. Default 10 s. */
  readonly maxDelayMs?: number;
}

/** Whether an answer may be worth trying again: busy (429, unless an OAuth error: see requestToken) or in trouble (5xx). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * The wait before attempt `attempt + 1`: what Retry-After asks (seconds or an HTTP date, RFC 9110
 * §10.2.3) or else exponential backoff with full jitter, never more than maxDelayMs.
 */
export function retryDelayMs(attempt: number, retryAfter: string | null, policy: RetryPolicy): number {
  const max = policy.maxDelayMs ?? 10_000;
  const asked = parseRetryAfter(retryAfter);
  if (asked !== undefined) return Math.min(asked, max);
  const ceiling = Math.min(max, (policy.baseDelayMs ?? 200) * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
