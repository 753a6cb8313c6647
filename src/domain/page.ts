import { DomainError } from './domain-error.js';

/** How many records a listing returns when the caller does not say. */
export const DEFAULT_PAGE_SIZE = 100;
/** The most records one page of a listing may hold. */
export const MAX_PAGE_SIZE = 1000;

/** One page of a listing, ordered by id. */
export interface Page {
  readonly limit: number;
  /** Return records whose id sorts after this one (keyset pagination). */
  readonly after?: string | undefined;
}

/** The page asked for, with the default size; DomainError 'invalid' for a size out of bounds. */
export function validPage(page: { limit?: number; after?: string }): Page {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new DomainError('invalid', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, got ${limit}`);
  }
  return { limit, after: page.after };
}
